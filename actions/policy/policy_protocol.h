// The Postfix SMTPD access policy delegation protocol (SMTPD_POLICY_README):
// requests are "name=value" lines ended by an empty line; each answer is one
// "action=..." line and an empty line. Pure code: a reader that cuts requests
// out of the bytes a connection delivers (with caps, since smtpd is trusted but
// its attributes carry client-chosen text), and the decision for one request.
#ifndef MAILTRAIL_ACTIONS_POLICY_POLICY_PROTOCOL_H_
#define MAILTRAIL_ACTIONS_POLICY_POLICY_PROTOCOL_H_

#include <map>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "base/cidr.h"

namespace mailtrail {

struct PolicyRequest {
  std::map<std::string, std::string> attributes;
  bool malformed = false;  // over a cap or a line without "=": answered DUNNO
  bool crlf = false;       // its lines ended "\r\n": the answer's do too
};

// Cuts requests out of a byte stream. Lines end with "\n" or "\r\n". Caps: a
// line of at most kMaxLine bytes (a longer attribute is dropped), at most
// kMaxAttributes attributes and kMaxRequest bytes of them (what one
// connection holds is bounded); a request over those two is marked malformed
// (the rest of it, up to its empty line, is skipped).
class PolicyReader {
 public:
  static constexpr size_t kMaxLine = 4096;
  static constexpr size_t kMaxAttributes = 128;
  static constexpr size_t kMaxRequest = 32768;

  // Appends the complete requests found in `bytes`.
  void Feed(std::string_view bytes, std::vector<PolicyRequest>* out);
  // Bytes held for an unfinished line (bounded by kMaxLine).
  size_t pending() const { return line_.size(); }

 private:
  void EndLine(std::vector<PolicyRequest>* out);
  std::string line_;
  bool line_too_long_ = false;
  bool has_lines_ = false;  // the request so far had a line, kept or dropped
  size_t request_bytes_ = 0;
  PolicyRequest current_;
};

// What is blocked, for the policy service: addresses and networks.
struct PolicyTable {
  std::unordered_set<std::string> ips;  // canonical text (IpAddress::ToString)
  std::vector<Cidr> networks;
  bool Blocks(std::string_view client_address) const;
};

// What a blocked client is answered: `blocked` in general; `bounce` for a
// bounce (MAIL FROM:<>, once the sender is known: protocol_state MAIL, RCPT,
// DATA or END-OF-MESSAGE). By default the two are the same reply. A 450 makes
// the blocked MTA queue its bounces and send them again as a burst when the
// block ends, taken for a new flood (helper-134 F2); the admin may hold them
// in Postfix's hold queue instead (HOLD: a sender-address callout, which
// sends no DATA, is then answered 250), at the price docs/postfix.md states.
// A 5xx would tell a calling MTA our user does not exist (helper-140).
struct PolicyReplies {
  std::string blocked;
  std::string bounce;
};

// The answer to one request, without the trailing empty line: "action=DUNNO",
// or "action=" + a reply for a blocked client_address. A malformed request, a
// request that is not smtpd_access_policy, or one without a client address is
// DUNNO: mail flows unless we are sure. So is a recipient postmaster@ or
// abuse@: a server blocked by mistake can still say so.
std::string PolicyAnswer(const PolicyRequest& request, const PolicyTable& table,
                         const PolicyReplies& replies);

// Whether `reply` is an action this service may send: "NNN D.D.D text" with a
// 4xx/5xx code, or DEFER_IF_PERMIT/REJECT/DEFER with optional text; printable
// ASCII only, at most 200 bytes (it comes from the configuration, not a client).
bool ValidPolicyReply(std::string_view reply);
// The same, or HOLD or DISCARD with optional text (for bounces: PolicyReplies).
bool ValidBounceAction(std::string_view action);

}  // namespace mailtrail

#endif  // MAILTRAIL_ACTIONS_POLICY_POLICY_PROTOCOL_H_
