// One table of an enum's words (docs/style.md rule 5: types past the edge): the
// word of a value, and the value of a word with one refusal message for all,
// `WHAT must be a, b or c, not "x"`. The words are what configs, stores and
// the JSON hold; code past the edge holds the enum.
#ifndef MAILTRAIL_BASE_ENUM_NAMES_H_
#define MAILTRAIL_BASE_ENUM_NAMES_H_

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "base/status.h"
#include "base/text.h"

namespace mailtrail {

template <typename E, size_t N>
struct EnumNames {
  const char* what;  // "read", "block kind": the refusal's subject
  std::array<std::pair<E, const char*>, N> words;

  const char* Name(E e) const {
    for (const auto& [v, w] : words)
      if (v == e) return w;
    return words[0].second;  // not reached: every value has its word
  }

  StatusOr<E> Parse(std::string_view word) const {
    for (const auto& [v, w] : words)
      if (word == w) return v;
    return Status::InvalidArgument(std::string(what) + " must be " + Choices() + ", not \"" +
                                   EscapeForLog(word, 40) + "\"");
  }

  // "a, b or c"
  std::string Choices() const {
    std::string s;
    for (size_t i = 0; i < N; ++i) {
      if (i) s += i + 1 == N ? " or " : ", ";
      s += words[i].second;
    }
    return s;
  }
};

}  // namespace mailtrail

#endif  // MAILTRAIL_BASE_ENUM_NAMES_H_
