// LineSplitter: the one rule for cutting a byte stream into log lines, shared by
// the replay's LineReader and the live FileStream (so a line is the same line
// whichever of them reads it):
//  - a line ends at '\n'; a CR before it is not part of the line (CRLF logs);
//  - a line longer than `max_line` is overlong: its first `max_line` bytes are
//    handed on once, flagged, and the rest is skipped up to its newline;
//  - bytes after the last newline wait (bounded by max_line) for the next chunk;
//    Finish() hands them on as a last line when the caller knows no more come.
// Chunks are fed in file order; a line that fits in one chunk is a view into
// it (no copy), one that spans chunks is joined in the splitter.
// Not thread-safe. SECURITY: bytes are untrusted and passed on uninterpreted.
#ifndef MAILTRAIL_AGENT_LINES_LINE_SPLITTER_H_
#define MAILTRAIL_AGENT_LINES_LINE_SPLITTER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mailtrail {

struct SplitLine {
  std::string_view bytes;  // without newline and CR; valid until the next call
  int64_t offset = 0;      // of the line's first byte in the stream
  bool overlong = false;   // cut at max_line
  size_t raw_size = 0;     // bytes.size() before the CR was taken off
};

class LineSplitter {
 public:
  // Bytes read at stream offset `offset`; `pos` is how far the splitter got.
  struct Chunk {
    std::string_view bytes;
    int64_t offset = 0;
    size_t pos = 0;
  };

  explicit LineSplitter(size_t max_line) : max_line_(max_line) {}

  // The next line of `chunk` into `*out`; false once the chunk is used up (its
  // unterminated tail is then kept). A caller may stop early (backpressure):
  // `chunk->pos` says where the unread bytes start.
  bool Next(Chunk* chunk, SplitLine* out);
  // The kept tail as a last line (none inside an overlong line's rest); the
  // splitter then starts over as Reset(`next_offset`) would.
  bool Finish(int64_t next_offset, SplitLine* out);
  // Forget everything; the next byte fed is at `offset`.
  void Reset(int64_t offset);
  // The next byte fed is inside a line whose start was not seen: skip to its end.
  void StartMidLine() { skipping_ = true; }

  // Bytes kept after the last newline (not yet handed on).
  size_t pending() const { return partial_.size(); }
  bool skipping() const { return skipping_; }

 private:
  bool Emit(std::string_view bytes, int64_t offset, SplitLine* out) const;
  bool TakePartial(SplitLine* out);

  size_t max_line_;
  std::string partial_;         // bytes after the last newline, at most max_line + 1
  int64_t partial_offset_ = 0;  // stream offset of partial_[0]
  bool skipping_ = false;       // inside a line whose head was already handed on
  std::string line_;            // a joined line handed on, kept valid until the next call
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_LINES_LINE_SPLITTER_H_
