#include "agent/run/start_notes.h"

#include "agent/run/enforcement.h"
#include "agent/run/smtpd_capacity.h"
#include "base/text.h"

namespace mailtrail {

std::vector<StartNote> StartNotes(const Config& c, const std::vector<Cidr>& own) {
  std::vector<StartNote> notes;
  bool fatal = false;
  // Fatal when a firewall would go into a namespace of its own: exit 1, not
  // 78, since a host whose network has no address yet (booting, a link
  // down) is no wrong configuration, and systemd's restarts start the agent
  // once it has one (helper-150 #4).
  if (std::string why = PrivateNetworkProblem(c, own, &fatal); !why.empty())
    notes.push_back({fatal ? NoteLevel::kFatal : NoteLevel::kWarning, EscapeForLog(why, 600)});
  if (std::string note = AccessMapAloneNote(c); !note.empty())
    notes.push_back({NoteLevel::kWarning, EscapeForLog(note, 600)});
  bool warning = false;
  if (std::string note = PolicyCapacityNote(c, &warning); !note.empty())
    notes.push_back({warning ? NoteLevel::kWarning : NoteLevel::kInfo, EscapeForLog(note, 600)});
  return notes;
}

}  // namespace mailtrail
