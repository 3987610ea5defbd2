// JsonWriter: appends JSON to a string without building a document first (the
// record output of `search --format jsonl`, the tracker's saved state). Values
// go in order; a container's first element gets no comma, every other does.
// Strings are escaped by AppendJsonString, so the output is valid JSON (and
// valid UTF-8) whatever the bytes given.
//
//   JsonWriter w(&out);
//   w.Open();                     // {
//   w.Str("qid", "4Xyz");         //  "qid":"4Xyz"
//   w.OpenArray("t");             //  ,"t":[
//   w.Int(nullptr, 1);            //  1
//   w.CloseArray();               //  ]
//   w.Close();                    // }
#ifndef MAILTRAIL_BASE_JSON_WRITER_H_
#define MAILTRAIL_BASE_JSON_WRITER_H_

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/text.h"

namespace mailtrail {

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  // Objects and arrays; `key` is nullptr for an element of an array (or the
  // top level).
  void Open(const char* key = nullptr) {
    Key(key);
    out_->push_back('{');
    first_ = true;
  }
  void Close() { out_->push_back('}'), first_ = false; }
  void OpenArray(const char* key = nullptr) {
    Key(key);
    out_->push_back('[');
    first_ = true;
  }
  void CloseArray() { out_->push_back(']'), first_ = false; }

  void Str(const char* key, std::string_view v) {
    Key(key);
    AppendJsonString(out_, v);
  }
  void StrOrNull(const char* key, const std::optional<std::string>& v) {
    if (v)
      Str(key, *v);
    else
      Null(key);
  }
  void NonEmptyOrNull(const char* key, std::string_view v) {
    if (v.empty())
      Null(key);
    else
      Str(key, v);
  }
  void Strings(const char* key, const std::vector<std::string>& v) {
    OpenArray(key);
    for (const auto& s : v) Str(nullptr, s);
    CloseArray();
  }
  void Null(const char* key) {
    Key(key);
    out_->append("null");
  }
  void Int(const char* key, int64_t v) {
    Key(key);
    AppendNumber(v);
  }
  void Uint(const char* key, uint64_t v) {
    Key(key);
    AppendNumber(v);
  }
  // Six significant digits: for people (delays, scores in records).
  void Num(const char* key, double v) {
    Key(key);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", std::isfinite(v) ? v : 0.0);
    out_->append(buf);
  }
  // The shortest text that reads back as exactly `v` (saved state). JSON has
  // no NaN or infinity: those are written as 0.
  void Exact(const char* key, double v) {
    Key(key);
    // "-0" would read back as the integer 0: a negative zero (an amavis score
    // of "-0") keeps its sign as "-0.0".
    if (v == 0 && std::signbit(v))
      out_->append("-0.0");
    else
      AppendNumber(std::isfinite(v) ? v : 0.0);
  }
  void Bool(const char* key, bool v) {
    Key(key);
    out_->append(v ? "true" : "false");
  }

 private:
  // The separator and `"key":` before a value.
  void Key(const char* key) {
    if (!first_) out_->push_back(',');
    first_ = false;
    if (key) {
      AppendJsonString(out_, key);
      out_->push_back(':');
    }
  }

  template <typename T>
  void AppendNumber(T v) {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_->append(buf, r.ptr);
  }

  std::string* out_;
  bool first_ = true;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_BASE_JSON_WRITER_H_
