// Postfix queue ids. Short ids are 6..12 uppercase hex characters; long ids
// (enable_long_queue_ids) are 12..20 characters of digits and consonants with a
// 'z' separating time and inode parts. Never assume hex (docs/postfix-logs.md).
#ifndef MAILTRAIL_BASE_QUEUE_ID_H_
#define MAILTRAIL_BASE_QUEUE_ID_H_

#include <string_view>

namespace mailtrail {

constexpr size_t kMaxQueueIdLength = 20;

bool IsShortQueueId(std::string_view s);
bool IsLongQueueId(std::string_view s);
inline bool IsQueueId(std::string_view s) { return IsShortQueueId(s) || IsLongQueueId(s); }

// Length of the queue id at the start of `s` that is followed by ':' (0 if none).
size_t QueueIdPrefixLength(std::string_view s);

}  // namespace mailtrail

#endif  // MAILTRAIL_BASE_QUEUE_ID_H_
