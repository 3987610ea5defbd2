// ResumeFromStore: see replay_resume.h.
#include "agent/cli/replay_resume.h"

#include <algorithm>
#include <string>

#include "base/text.h"

namespace mailtrail::cli {

StatusOr<ResumeFn> ResumeFromStore(std::shared_ptr<Store> reader, TimeUs stale_after, Logger* log) {
  auto span = reader->TimeSpan();
  if (!span.ok()) return span.status();
  if (!*span) return ResumeFn();  // an empty store: nothing to go on with
  // Records of this replay arrive after it: a message it closed and meets
  // again is a new one, as in one replay.
  const TimeUs before_this_replay = (*span)->second * kUsPerSecond;
  auto failed = std::make_shared<bool>(false);
  return ResumeFn([reader, stale_after, log, before_this_replay, failed](
                      std::string_view host, std::string_view qid,
                      TimeUs time) -> std::optional<MessageRecord> {
    if (*failed || host.empty() || qid.empty()) return std::nullopt;
    SearchQuery q;
    q.host = std::string(host);
    q.qid = std::string(qid);
    // A message open that long is stale; its queue id has been reused since.
    q.since = time - 2 * stale_after;
    q.until = std::min(time + kUsPerSecond, before_this_replay);
    q.limit = 64;
    std::optional<MessageRecord> taken;
    Status st = reader->Search(q, [&](MessageRecord&& r) {
      // `session`: the message's session ended before it was queued, for
      // good (its queue id may be another message's since).
      const bool left_open = r.end == RecordEnd::kOpen;
      const bool covers = r.last_seen >= time;
      if (r.first_seen > time || (!left_open && !covers) || time - r.last_seen > stale_after)
        return;
      if (!taken || r.first_seen >= taken->first_seen) taken = std::move(r);
    });
    if (!st.ok()) {
      *failed = true;
      WarnCannotResume(log, st);
      return std::nullopt;
    }
    return taken;
  });
}

void WarnCannotResume(Logger* log, const Status& why) {
  log->Warn("replay: cannot read the records an earlier replay left open (" +
            EscapeForLog(why.message(), 300) +
            "); messages begun before this log are recorded from here, as pieces");
}

}  // namespace mailtrail::cli
