#include "agent/store/record_codec.h"

#include <cstring>
#include <optional>

#include "agent/track/record_fields.h"

namespace mailtrail {

namespace {
// 1: the fields up to is_update; 2: dsn_report and returned_message_ids too
// (what the detector needs of a record that waited in the spool); 3:
// sender_cut.
constexpr uint8_t kVersion = 3;

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

// Every field, in the description's order (agent/track/record_fields.h).
struct Encode {
  Writer& w;
  void operator()(Field, const std::string& s) { w.S(s); }
  void operator()(Field, const std::optional<std::string>& s) { w.O(s); }
  void operator()(Field, int64_t v) { w.I(v); }
  void operator()(Field, int v) { w.I(v); }
  void operator()(Field, bool v) { w.U(v); }
  void operator()(Field, double v) { w.D(v); }
  void operator()(Field, Outcome o) { w.U(static_cast<uint8_t>(o)); }
  void operator()(Field, RecordEnd e) { w.U(static_cast<uint8_t>(e)); }
  void operator()(Field, const std::vector<std::string>& v) {
    w.U(v.size());
    for (const auto& s : v) w.S(s);
  }
  template <typename T>
  void operator()(Field, const std::vector<T>& v) {
    w.U(v.size());
    for (const T& x : v) ForEachField(x, *this);
  }
  template <typename T>
  void operator()(Field, const std::optional<T>& o) {
    w.U(o.has_value());
    if (o) ForEachField(*o, *this);
  }
};

template <typename E>
E Enum(uint64_t v, int count) {
  return static_cast<E>(v < static_cast<uint64_t>(count) ? v : 0);
}

// The fields a batch of `version` holds; the others keep their defaults.
struct Decode {
  Reader& in;
  uint64_t version;
  bool Has(Field f) const { return static_cast<uint64_t>(f.since) <= version; }
  void operator()(Field f, std::string& s) {
    if (Has(f)) s = in.S();
  }
  void operator()(Field f, std::optional<std::string>& s) {
    if (Has(f)) s = in.O();
  }
  void operator()(Field f, int64_t& v) {
    if (Has(f)) v = in.I();
  }
  void operator()(Field f, int& v) {
    if (Has(f)) v = static_cast<int>(in.I());
  }
  void operator()(Field f, bool& v) {
    if (Has(f)) v = in.U() != 0;
  }
  void operator()(Field f, double& v) {
    if (Has(f)) v = in.D();
  }
  void operator()(Field f, Outcome& o) {
    if (Has(f)) o = Enum<Outcome>(in.U(), kOutcomeCount);
  }
  void operator()(Field f, RecordEnd& e) {
    if (Has(f)) e = Enum<RecordEnd>(in.U(), kRecordEndCount);
  }
  void operator()(Field f, std::vector<std::string>& v) {
    if (!Has(f)) return;
    for (size_t n = in.N(); n > 0 && in.ok(); --n) v.push_back(in.S());
  }
  template <typename T>
  void operator()(Field f, std::vector<T>& v) {
    if (!Has(f)) return;
    for (size_t n = in.N(); n > 0 && in.ok(); --n) ForEachField(v.emplace_back(), *this);
  }
  template <typename T>
  void operator()(Field f, std::optional<T>& o) {
    if (Has(f) && in.U()) ForEachField(o.emplace(), *this);
  }
};
}  // namespace

std::string EncodeRecords(const std::vector<MessageRecord>& records) {
  std::string out;
  Writer w(&out);
  w.U(kVersion);
  w.U(records.size());
  Encode encode{w};
  for (const auto& r : records) ForEachField(r, encode);
  return out;
}

bool DecodeRecords(std::string_view data, std::vector<MessageRecord>* out) {
  Reader in(data);
  const uint64_t version = in.U();
  if (version < 1 || version > kVersion) return false;
  const size_t n = in.N();
  out->clear();
  Decode decode{in, version};
  for (size_t i = 0; i < n && in.ok(); ++i) ForEachField(out->emplace_back(), decode);
  return in.ok() && in.done();
}

}  // namespace mailtrail
