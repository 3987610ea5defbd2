#include "agent/lines/line_splitter.h"

#include <algorithm>
#include <cstring>

namespace mailtrail {

bool LineSplitter::Emit(std::string_view bytes, int64_t offset, SplitLine* out) const {
  const bool overlong = bytes.size() > max_line_;
  if (overlong) bytes = bytes.substr(0, max_line_);
  out->raw_size = bytes.size();
  // CRLF line ends (a log copied from Windows, a relay that adds them): the CR
  // ends the line, it is not part of its last field (a status text, a queue id).
  if (!bytes.empty() && bytes.back() == '\r') bytes.remove_suffix(1);
  out->bytes = bytes;
  out->offset = offset;
  out->overlong = overlong;
  return true;
}

bool LineSplitter::TakePartial(SplitLine* out) {
  line_.swap(partial_);
  partial_.clear();
  return Emit(line_, partial_offset_, out);
}

bool LineSplitter::Next(Chunk* c, SplitLine* out) {
  const char* const data = c->bytes.data();
  const size_t size = c->bytes.size();
  while (c->pos < size) {
    const size_t start = c->pos;
    const void* nl_ptr = std::memchr(data + start, '\n', size - start);
    if (nl_ptr == nullptr) {
      // No newline yet: keep the tail (bounded), or cut an overlong line now.
      c->pos = size;
      if (skipping_) return false;
      if (partial_.empty()) partial_offset_ = c->offset + static_cast<int64_t>(start);
      partial_.append(data + start, std::min(size - start, max_line_ + 1 - partial_.size()));
      if (partial_.size() <= max_line_) return false;
      skipping_ = true;
      return TakePartial(out);
    }
    const size_t nl = static_cast<size_t>(static_cast<const char*>(nl_ptr) - data);
    c->pos = nl + 1;
    if (skipping_) {  // the rest of a cut line ends here
      skipping_ = false;
      continue;
    }
    const std::string_view piece(data + start, nl - start);
    if (partial_.empty()) return Emit(piece, c->offset + static_cast<int64_t>(start), out);
    partial_.append(piece.data(), std::min(piece.size(), max_line_ + 1 - partial_.size()));
    return TakePartial(out);
  }
  return false;
}

bool LineSplitter::Finish(int64_t next_offset, SplitLine* out) {
  const bool has_line = !partial_.empty() && !skipping_;
  if (has_line) TakePartial(out);
  Reset(next_offset);
  return has_line;
}

void LineSplitter::Reset(int64_t offset) {
  partial_.clear();
  partial_offset_ = offset;
  skipping_ = false;
}

}  // namespace mailtrail
