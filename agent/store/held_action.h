// What a replay does with a record the store already holds (Store::
// SkipHeldRecords, and the tracker's resumed records: docs/install.md,
// "Replaying logs in parts").
#ifndef MAILTRAIL_AGENT_STORE_HELD_ACTION_H_
#define MAILTRAIL_AGENT_STORE_HELD_ACTION_H_

#include <cstdint>

#include "agent/track/record.h"

namespace mailtrail {

// What a replay does with a record whose message the store holds (Store::
// SkipHeldRecords): keeps the held one, unless its log ended before the
// message did and `r` saw more, without having missed the beginning (qmgr's
// sender, when the held one has it: a log that starts within the message):
// then `r` replaces it. The held one ended with its log when it is open (`r`
// then saw more when it is closed or saw a later line), or when its smtpd
// session was cut by the end of the log before the message was queued (end
// `session`; `r` saw more when it was removed). A held record without the
// client `r` has, that `r` saw as far as, is a piece of the message (a live
// agent that started in its middle, helper-95 F7): `r` replaces it too.
// `held_last_seen` in seconds.
enum class HeldAction { kInsert, kSkip, kReplace };
HeldAction HeldActionFor(const MessageRecord& r, RecordEnd held_end, int64_t held_last_seen,
                         bool held_has_sender, bool held_has_client);

// What a replay does with a held record of the same queue id and host that
// began after `r` did, within it (first seen in (r.first_seen, r.last_seen]):
// a piece of the same message, recorded by a live agent that started in its
// middle (Postfix does not reuse a queue id while its file exists). `r`, from
// the message's start, replaces it when it saw as far; else both are kept.
HeldAction HeldPieceActionFor(const MessageRecord& r, RecordEnd held_end, int64_t held_last_seen);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_STORE_HELD_ACTION_H_
