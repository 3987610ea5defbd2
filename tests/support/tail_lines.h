// Helpers of the FileStream tests: a handler that collects the lines handed on,
// and gzip compression as logrotate's `compress` does it.
#ifndef MAILTRAIL_TESTS_SUPPORT_TAIL_LINES_H_
#define MAILTRAIL_TESTS_SUPPORT_TAIL_LINES_H_

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <string>
#include <vector>

#include "agent/tail/file_stream.h"

namespace mailtrail {

class Collect : public LineHandler {
 public:
  void OnLine(const TailLine& l) override {
    lines.emplace_back(l.bytes);
    offsets.push_back(l.offset);
    overlong += l.overlong;
  }
  std::vector<std::string> lines;
  std::vector<int64_t> offsets;
  int overlong = 0;
};

// A restarted stream: what it reads, rotated files drained (60 s later).
inline Collect RestoreAndReadAll(FileStream* s, const std::vector<StreamPosition>& saved) {
  s->RestoreTo(saved);
  Collect c;
  EXPECT_TRUE(s->Poll(0, &c).ok());
  EXPECT_TRUE(s->Poll(60 * kUsPerSecond, &c).ok());
  return c;
}

inline std::string Gzip(const std::string& plain) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);  // gzip format
  std::string out(deflateBound(&z, plain.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  z.avail_in = static_cast<uInt>(plain.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

}  // namespace mailtrail

#endif  // MAILTRAIL_TESTS_SUPPORT_TAIL_LINES_H_
