// The names of a log's rotated files, for FileStream's scans (pure).
#ifndef MAILTRAIL_AGENT_TAIL_ROTATED_NAME_H_
#define MAILTRAIL_AGENT_TAIL_ROTATED_NAME_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace mailtrail {

// Ends in ".gz".
bool IsGzipName(std::string_view name);

// "mail.log.9" before "mail.log.10": runs of digits compare as numbers.
bool NaturalLess(const std::string& a, const std::string& b);

// logrotate's number of a rotated `log` (log.N or log.N.gz, N from 1 to
// 99999: the higher, the older); -1 for any other name.
int64_t RotationNumber(const std::string& name, const std::string& log);

// Whether `name` is one of `log`'s rotated files: the log's name, a
// separator and digits in groups, maybe .gz (rotated_name.cc says which).
bool IsRotatedNameOf(const std::string& name, const std::string& log);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_TAIL_ROTATED_NAME_H_
