#include "actions/postfix/header_match.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace mailtrail {

struct HeaderCheckMatcher::Compiled {
  pcre2_code* code = nullptr;
  pcre2_match_data* data = nullptr;
  ~Compiled() {
    pcre2_match_data_free(data);
    pcre2_code_free(code);
  }
};

HeaderCheckMatcher::HeaderCheckMatcher(const std::string& line) {
  // "/pattern/i ACTION": the pattern between the first '/' and the last "/i ".
  const size_t end = line.rfind("/i ");
  if (line.empty() || line[0] != '/' || end == std::string::npos || end == 0) return;
  const std::string pattern = line.substr(1, end - 1);
  int error = 0;
  PCRE2_SIZE offset = 0;
  auto c = std::make_unique<Compiled>();
  c->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), 0, &error,
                          &offset, nullptr);
  if (c->code == nullptr) return;
  c->data = pcre2_match_data_create_from_pattern(c->code, nullptr);
  if (c->data == nullptr) return;
  c_ = std::move(c);
}

HeaderCheckMatcher::~HeaderCheckMatcher() = default;

bool HeaderCheckMatcher::Matches(std::string_view header) const {
  if (!c_) return false;
  return pcre2_match(c_->code, reinterpret_cast<PCRE2_SPTR>(header.data()), header.size(), 0, 0,
                     c_->data, nullptr) >= 0;
}

}  // namespace mailtrail
