#include "agent/store/record_codec.h"

#include <cstring>
#include <optional>

namespace mailtrail {

namespace {
constexpr uint8_t kVersion = 1;

class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) {}
  void U(uint64_t v) {
    while (v >= 0x80) {
      out_->push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    out_->push_back(static_cast<char>(v));
  }
  void I(int64_t v) { U(static_cast<uint64_t>(v) << 1 ^ static_cast<uint64_t>(v >> 63)); }
  void S(std::string_view s) {
    U(s.size());
    out_->append(s);
  }
  void O(const std::optional<std::string>& s) {
    U(s.has_value());
    if (s) S(*s);
  }
  void D(double d) {
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    U(bits);
  }

 private:
  std::string* out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  bool done() const { return in_.empty(); }
  uint64_t U() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (in_.empty()) return Fail();
      const uint8_t b = static_cast<uint8_t>(in_.front());
      in_.remove_prefix(1);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    return Fail();
  }
  int64_t I() {
    const uint64_t u = U();
    return static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
  }
  std::string S() {
    const uint64_t n = U();
    if (n > in_.size()) return Fail(), std::string();
    std::string s(in_.substr(0, n));
    in_.remove_prefix(n);
    return s;
  }
  std::optional<std::string> O() {
    if (U() == 0) return std::nullopt;
    return S();
  }
  double D() {
    const uint64_t bits = U();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    return d;
  }
  // A count of items that each take at least one byte: bounded by what is left.
  size_t N() {
    const uint64_t n = U();
    if (n > in_.size()) return Fail(), 0;
    return n;
  }

 private:
  uint64_t Fail() {
    ok_ = false;
    in_ = {};
    return 0;
  }
  std::string_view in_;
  bool ok_ = true;
};

void EncodeOne(const MessageRecord& r, Writer& w) {
  w.S(r.host);
  w.S(r.qid);
  w.O(r.message_id);
  w.I(r.first_seen);
  w.I(r.last_seen);
  w.U(r.has_client);
  w.S(r.client_ip);
  w.S(r.client_host);
  w.S(r.helo);
  w.S(r.sasl_username);
  w.O(r.sender);
  w.O(r.subject);
  w.O(r.header_from);
  w.I(r.size);
  w.I(r.nrcpt);
  w.U(static_cast<uint8_t>(r.outcome));
  w.U(static_cast<uint8_t>(r.end));
  w.U(r.recipients.size());
  for (const auto& rc : r.recipients) {
    w.S(rc.address);
    w.S(rc.orig_address);
    w.U(static_cast<uint8_t>(rc.outcome));
    w.S(rc.dsn);
    w.S(rc.relay);
    w.S(rc.status_text);
    w.D(rc.delay);
    w.I(rc.attempts);
    w.I(rc.time);
  }
  w.U(r.reject.has_value());
  if (r.reject) {
    w.S(r.reject->action);
    w.S(r.reject->stage);
    w.I(r.reject->code);
    w.S(r.reject->dsn);
    w.S(r.reject->text);
  }
  w.U(r.scans.size());
  for (const auto& s : r.scans) {
    w.S(s.scanner);
    w.S(s.verdict);
    w.S(s.action);
    w.D(s.score);
    w.U(s.has_score);
  }
  w.S(r.parent_qid);
  w.U(r.child_qids.size());
  for (const auto& q : r.child_qids) w.S(q);
  w.S(r.ndr_qid);
  w.S(r.ndr_of);
  w.U(r.notice_qids.size());
  for (const auto& q : r.notice_qids) w.S(q);
  w.U(r.events.size());
  for (const auto& e : r.events) {
    w.I(e.time);
    w.S(e.program);
    w.S(e.text);
  }
  w.U(r.is_update);
}

template <typename E>
E Enum(uint64_t v, int count) {
  return static_cast<E>(v < static_cast<uint64_t>(count) ? v : 0);
}

MessageRecord DecodeOne(Reader& in) {
  MessageRecord r;
  r.host = in.S();
  r.qid = in.S();
  r.message_id = in.O();
  r.first_seen = in.I();
  r.last_seen = in.I();
  r.has_client = in.U() != 0;
  r.client_ip = in.S();
  r.client_host = in.S();
  r.helo = in.S();
  r.sasl_username = in.S();
  r.sender = in.O();
  r.subject = in.O();
  r.header_from = in.O();
  r.size = in.I();
  r.nrcpt = static_cast<int>(in.I());
  r.outcome = Enum<Outcome>(in.U(), kOutcomeCount);
  r.end = Enum<RecordEnd>(in.U(), 4);
  for (size_t n = in.N(); n > 0 && in.ok(); --n) {
    RecipientRecord rc;
    rc.address = in.S();
    rc.orig_address = in.S();
    rc.outcome = Enum<Outcome>(in.U(), kOutcomeCount);
    rc.dsn = in.S();
    rc.relay = in.S();
    rc.status_text = in.S();
    rc.delay = in.D();
    rc.attempts = static_cast<int>(in.I());
    rc.time = in.I();
    r.recipients.push_back(std::move(rc));
  }
  if (in.U()) {
    RejectInfo j;
    j.action = in.S();
    j.stage = in.S();
    j.code = static_cast<int>(in.I());
    j.dsn = in.S();
    j.text = in.S();
    r.reject = std::move(j);
  }
  for (size_t n = in.N(); n > 0 && in.ok(); --n) {
    ScanResult s;
    s.scanner = in.S();
    s.verdict = in.S();
    s.action = in.S();
    s.score = in.D();
    s.has_score = in.U() != 0;
    r.scans.push_back(std::move(s));
  }
  r.parent_qid = in.S();
  for (size_t n = in.N(); n > 0 && in.ok(); --n) r.child_qids.push_back(in.S());
  r.ndr_qid = in.S();
  r.ndr_of = in.S();
  for (size_t n = in.N(); n > 0 && in.ok(); --n) r.notice_qids.push_back(in.S());
  for (size_t n = in.N(); n > 0 && in.ok(); --n) {
    RecordEvent e;
    e.time = in.I();
    e.program = in.S();
    e.text = in.S();
    r.events.push_back(std::move(e));
  }
  r.is_update = in.U() != 0;
  return r;
}
}  // namespace

std::string EncodeRecords(const std::vector<MessageRecord>& records) {
  std::string out;
  Writer w(&out);
  w.U(kVersion);
  w.U(records.size());
  for (const auto& r : records) EncodeOne(r, w);
  return out;
}

bool DecodeRecords(std::string_view data, std::vector<MessageRecord>* out) {
  Reader in(data);
  if (in.U() != kVersion) return false;
  const size_t n = in.N();
  out->clear();
  for (size_t i = 0; i < n && in.ok(); ++i) out->push_back(DecodeOne(in));
  return in.ok() && in.done();
}

}  // namespace mailtrail
