#include "parsers/queue_file.h"

#include <strings.h>

#include <cctype>
#include <cstdio>

namespace mailtrail {

namespace {

// Every record type of rec_type.h; anything else is corruption.
constexpr std::string_view kKnownTypes = "CTcFILSDRO/WAK>fdMNwXrePpV<ionmuE";

std::string At(size_t offset, const std::string& what) {
  return "queue file: " + what + " at offset " + std::to_string(offset);
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// A decimal number at the start of `s` (after blanks); false if there is none
// or it does not fit.
bool Number(std::string_view* s, int64_t* out) {
  while (!s->empty() && (s->front() == ' ' || s->front() == '\t')) s->remove_prefix(1);
  size_t i = 0;
  int64_t v = 0;
  while (i < s->size() && (*s)[i] >= '0' && (*s)[i] <= '9') {
    if (v > (INT64_MAX - 9) / 10) return false;
    v = v * 10 + ((*s)[i] - '0');
    ++i;
  }
  if (i == 0) return false;
  s->remove_prefix(i);
  *out = v;
  return true;
}

// Collects the message headers from content lines: folded lines joined, each
// header capped, collection stopped at the first empty line.
class HeaderCollector {
 public:
  explicit HeaderCollector(const QueueFileLimits& l, QueueFile* q) : l_(l), q_(q) {}
  bool done() const { return done_; }
  void Line(std::string_view line) {
    if (done_) return;
    if (line.empty()) {
      Flush();
      done_ = true;
      return;
    }
    if ((line.front() == ' ' || line.front() == '\t') && have_) {
      Append(" ");
      Append(Trim(line));
      return;
    }
    Flush();
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {  // not a header: the body began
      done_ = true;
      return;
    }
    name_.assign(Trim(line.substr(0, colon)));
    value_.clear();
    Append(Trim(line.substr(colon + 1)));
    have_ = true;
  }
  void Flush() {
    if (!have_) return;
    have_ = false;
    if (q_->headers.size() >= l_.max_headers) return;
    auto pick = [&](const char* want, std::string* slot) {
      if (slot->empty() && strcasecmp(name_.c_str(), want) == 0) *slot = value_;
    };
    pick("Subject", &q_->subject);
    pick("From", &q_->from);
    pick("Message-ID", &q_->message_id);
    pick("Content-Type", &q_->content_type);
    q_->headers.emplace_back(std::move(name_), std::move(value_));
    name_.clear();
    value_.clear();
  }

 private:
  void Append(std::string_view s) {
    const size_t room =
        l_.max_header_bytes > value_.size() ? l_.max_header_bytes - value_.size() : 0;
    value_.append(s.substr(0, room));
  }
  const QueueFileLimits& l_;
  QueueFile* q_;
  std::string name_, value_;
  bool have_ = false, done_ = false;
};

}  // namespace

std::string QueueFile::Attribute(std::string_view name) const {
  for (const auto& [k, v] : attributes)
    if (k == name) return v;
  return "";
}

bool QueueFile::LooksLikeBounce() const {
  if (has_sender && sender.empty()) return true;
  std::string ct;
  for (char c : content_type)
    ct.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return ct.find("multipart/report") != std::string::npos &&
         ct.find("delivery-status") != std::string::npos;
}

StatusOr<QueueFile> ParseQueueFile(std::string_view bytes, const QueueFileLimits& limits) {
  if (bytes.empty())
    return Status::Corruption("queue file: empty (still being written, or truncated)");
  QueueFile q;
  HeaderCollector headers(limits, &q);
  enum Segment { kEnvelope, kContent, kExtracted } segment = kEnvelope;
  std::string pending_original, pending_dsn, line;
  bool in_long_line = false;
  bool seen_size = false;
  size_t pos = 0;
  while (true) {
    if (pos >= bytes.size()) break;  // no E record: incomplete
    if (++q.records > limits.max_records)
      return Status::Corruption(At(
          pos, "more than " + std::to_string(limits.max_records) + " records (a pointer loop?)"));
    const size_t start = pos;
    const char type = bytes[pos++];
    if (type == '\0' || kKnownTypes.find(type) == std::string_view::npos) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>(type));
      return Status::Corruption(At(start, std::string("unknown record type ") + hex));
    }
    if (start == 0 && type != 'C')
      return Status::Corruption(At(0, "not a queue file (no size record first)"));
    size_t len = 0;
    for (int shift = 0;; shift += 7) {
      if (shift >= 32) return Status::Corruption(At(start, "record length too long"));
      if (pos >= bytes.size()) return Status::Corruption(At(start, "record cut in its length"));
      const unsigned char b = static_cast<unsigned char>(bytes[pos++]);
      len |= static_cast<size_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) break;
    }
    if (len > bytes.size() - pos)
      return Status::Corruption(
          At(start, "record length " + std::to_string(len) + " past the end of the file"));
    const std::string_view data = bytes.substr(pos, len);
    pos += len;

    switch (type) {
      case 'p': {  // pointer: continue reading elsewhere (0 = a placeholder)
        std::string_view d = data;
        int64_t to = 0;
        if (!Number(&d, &to)) return Status::Corruption(At(start, "bad pointer record"));
        if (to == 0) break;
        if (static_cast<uint64_t>(to) >= bytes.size())
          return Status::Corruption(At(start, "pointer past the end of the file"));
        pos = static_cast<size_t>(to);
        break;
      }
      case 'M':
        segment = kContent;
        break;
      case 'X':
        if (in_long_line) headers.Line(line);
        in_long_line = false;
        headers.Flush();
        segment = kExtracted;
        break;
      case 'E':
        headers.Flush();
        q.complete = true;
        return q;
      case 'N':
      case 'L':
        if (segment == kContent) {  // a line, or a piece of a long one (L)
          if (!headers.done()) {
            if (!in_long_line) line.clear();
            if (line.size() < limits.max_header_bytes)
              line.append(data.substr(0, limits.max_header_bytes - line.size()));
            in_long_line = type == 'L';
            if (!in_long_line) headers.Line(line);
          }
        } else if (type == 'L') {
          q.content_filter.assign(data);
        }
        break;
      case 'w':
        break;
      case 'C': {
        std::string_view d = data;
        int64_t* fields[] = {&q.message_size, &q.data_offset, &q.recipient_count, &q.qmgr_flags};
        for (int64_t* f : fields)
          if (!Number(&d, f)) break;
        seen_size = true;
        break;
      }
      case 'T': {
        std::string_view d = data;
        if (!Number(&d, &q.arrival_sec)) return Status::Corruption(At(start, "bad time record"));
        Number(&d, &q.arrival_usec);
        break;
      }
      case 'c': {
        std::string_view d = data;
        Number(&d, &q.create_time);
        break;
      }
      case 'W': {
        std::string_view d = data;
        Number(&d, &q.warn_time);
        break;
      }
      case 'F':
        q.full_name.assign(data);
        break;
      case 'S':
        q.has_sender = true;
        q.sender.assign(data);
        break;
      case 'O':
        pending_original.assign(data);
        break;
      case 'R':
      case 'D':
      case '/':
        if (q.recipients.size() >= limits.max_recipients) {
          ++q.recipients_dropped;
        } else {
          QueueRecipient r;
          r.address.assign(data);
          r.original = std::move(pending_original);
          r.dsn_orig_rcpt = std::move(pending_dsn);
          r.done = type != 'R';
          q.recipients.push_back(std::move(r));
        }
        pending_original.clear();
        pending_dsn.clear();
        break;
      case 'A': {
        const size_t eq = data.find('=');
        if (eq == std::string_view::npos || eq == 0) break;  // not name=value: skipped
        const std::string_view name = data.substr(0, eq), value = data.substr(eq + 1);
        if (name == "dsn_orig_rcpt") {
          pending_dsn.assign(value);
        } else if (name == "create_time") {
          std::string_view d = value;
          Number(&d, &q.create_time);
        }
        if (q.attributes.size() < limits.max_attributes)
          q.attributes.emplace_back(std::string(name), std::string(value));
        break;
      }
      default:  // known, not kept
        break;
    }
  }
  if (!seen_size) return Status::Corruption(At(0, "no size record"));
  headers.Flush();
  return q;
}

}  // namespace mailtrail
