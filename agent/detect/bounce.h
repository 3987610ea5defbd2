// Which received messages are bounces (non-delivery notices), from what the log
// shows of them. Table-driven, pure. Backscatter usually comes from legitimate
// servers with little or no content: the null sender, the notice's From: and its
// subject carry the signal.
#ifndef MAILTRAIL_AGENT_DETECT_BOUNCE_H_
#define MAILTRAIL_AGENT_DETECT_BOUNCE_H_

#include <string_view>

#include "agent/track/record.h"

namespace mailtrail {

enum class BounceSignal : uint8_t {
  kNone,
  kNullSender,    // MAIL FROM:<>
  kDaemonFrom,    // From: MAILER-DAEMON@..., postmaster@..., "Mail Delivery System"
  kDsnReport,     // a delivery-status report, by the Content-Type of its queue file
  kNoticeSubject  // a non-delivery subject ("Undeliverable: ...", "Non remis : ...") from
                  // an unknown or daemon envelope sender
};
const char* BounceSignalName(BounceSignal s);

// The strongest signal of a record received from a client (local mail and our
// own notices are never bounces *to* us; nor are our authenticated users'
// messages, see FloodDetector): null sender, then From:, then a DSN
// Content-Type (known only from the queue file), then a notice subject. The
// last three only when the envelope sender is unknown: a known sender
// outweighs headers anyone can write.
BounceSignal ClassifyBounce(const MessageRecord& r);

// The parts, for tests and for `blocks explain`. A From: header counts by its
// address's local part (MAILER-DAEMON@..., postmaster@...), never by its
// display name or comment, which are the sender's to write.
bool IsDaemonFrom(std::string_view header_from);
bool IsNoticeSubject(std::string_view subject);  // raw or decoded, any case

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_DETECT_BOUNCE_H_
