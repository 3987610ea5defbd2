// Postfix queue ids. Short ids are 6..12 uppercase hex characters; long ids
// (enable_long_queue_ids) are 12..20 characters of digits and consonants with a
// 'z' separating time and inode parts. Never assume hex (docs/postfix-logs.md).
#ifndef MAILTRAIL_BASE_QUEUE_ID_H_
#define MAILTRAIL_BASE_QUEUE_ID_H_

#include <string_view>

namespace mailtrail {

// Short ids: 5 hex digits of microseconds and the inode in hex, at most
// 5 + 16; long ids: 6 + 4 characters of time, 'z', the inode in base 51, at
// most 12 (mail_queue.h). Inodes of 2^28 and more are common on XFS.
constexpr size_t kMaxShortQueueIdLength = 21;
constexpr size_t kMaxQueueIdLength = 23;

bool IsShortQueueId(std::string_view s);
bool IsLongQueueId(std::string_view s);
inline bool IsQueueId(std::string_view s) { return IsShortQueueId(s) || IsLongQueueId(s); }

// Length of the queue id at the start of `s` that is followed by ':' (0 if none).
size_t QueueIdPrefixLength(std::string_view s);

}  // namespace mailtrail

#endif  // MAILTRAIL_BASE_QUEUE_ID_H_
