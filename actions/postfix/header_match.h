// Whether a header_checks line (HeaderChecksLine's "/pattern/i ACTION")
// matches a header, asked of PCRE2 as Postfix's pcre table asks it: bytes,
// not UTF-8 (Postfix 3.7), case-sensitive where the trailing `i` toggles the
// table's default off. For keeping an allowlisted subject out of reach of a
// line made from another (postfix_tables.h, protected_subjects).
#ifndef MAILTRAIL_ACTIONS_POSTFIX_HEADER_MATCH_H_
#define MAILTRAIL_ACTIONS_POSTFIX_HEADER_MATCH_H_

#include <memory>
#include <string>
#include <string_view>

namespace mailtrail {

class HeaderCheckMatcher {
 public:
  // `line` as HeaderChecksLine writes it; one that does not compile matches
  // nothing (Postfix would skip it too).
  explicit HeaderCheckMatcher(const std::string& line);
  ~HeaderCheckMatcher();
  HeaderCheckMatcher(const HeaderCheckMatcher&) = delete;
  HeaderCheckMatcher& operator=(const HeaderCheckMatcher&) = delete;
  // `header`: "Subject: text".
  bool Matches(std::string_view header) const;

 private:
  struct Compiled;
  std::unique_ptr<Compiled> c_;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_ACTIONS_POSTFIX_HEADER_MATCH_H_
