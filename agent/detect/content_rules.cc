#include "agent/detect/content_rules.h"

#include "base/enum_names.h"
#include "base/text.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace mailtrail {

struct ContentRules::Compiled {
  pcre2_code* code = nullptr;
  pcre2_match_data* data = nullptr;
  pcre2_match_context* context = nullptr;
  ~Compiled() {
    pcre2_match_data_free(data);
    pcre2_match_context_free(context);
    pcre2_code_free(code);
  }
};

ContentRules::~ContentRules() = default;

namespace {
constexpr EnumNames<RuleAction, 3> kRuleActions{"action",
                                                {{{RuleAction::kCount, "count"},
                                                  {RuleAction::kBlockIp, "block-ip"},
                                                  {RuleAction::kBlockSubject, "block-subject"}}}};
}  // namespace

const char* RuleActionName(RuleAction a) { return kRuleActions.Name(a); }
StatusOr<RuleAction> ParseRuleAction(std::string_view name) { return kRuleActions.Parse(name); }

StatusOr<std::unique_ptr<ContentRules>> ContentRules::Compile(
    const std::vector<ContentRuleSpec>& specs, uint32_t match_limit, uint32_t depth_limit) {
  std::unique_ptr<ContentRules> rules(new ContentRules());
  for (const auto& s : specs) {
    const std::string where = "rule '" + s.name + "'";
    if (s.header != "From" && s.header != "Subject")
      return Status::InvalidArgument(where + ": header must be From or Subject");
    if (s.threshold < 1) return Status::InvalidArgument(where + ": threshold must be >= 1");
    auto c = std::make_unique<Compiled>();
    int err = 0;
    PCRE2_SIZE offset = 0;
    // Byte mode: log bytes are never "invalid UTF-8" to it (docs/dependencies.md).
    c->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(s.pattern.data()), s.pattern.size(), 0,
                            &err, &offset, nullptr);
    if (c->code == nullptr) {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(err, msg, sizeof msg);
      return Status::InvalidArgument(where + ": pattern error at offset " + std::to_string(offset) +
                                     ": " + reinterpret_cast<const char*>(msg));
    }
    pcre2_jit_compile(c->code, PCRE2_JIT_COMPLETE);  // falls back to the interpreter
    c->data = pcre2_match_data_create_from_pattern(c->code, nullptr);
    c->context = pcre2_match_context_create(nullptr);
    pcre2_set_match_limit(c->context, match_limit);
    pcre2_set_depth_limit(c->context, depth_limit);
    rules->specs_.push_back(s);
    rules->compiled_.push_back(std::move(c));
  }
  return rules;
}

std::vector<size_t> ContentRules::Matches(const MessageRecord& r) {
  std::vector<size_t> out;
  std::string line;
  for (size_t i = 0; i < specs_.size(); ++i) {
    const auto& value = specs_[i].header == "From" ? r.header_from : r.subject;
    if (!value) continue;
    line = specs_[i].header + ": " + value->substr(0, 4096);
    const Compiled& c = *compiled_[i];
    const int rc = pcre2_match(c.code, reinterpret_cast<PCRE2_SPTR>(line.data()), line.size(), 0, 0,
                               c.data, c.context);
    if (rc >= 0) {
      out.push_back(i);
    } else if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
               rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT) {
      ++limit_hits_;
    }
  }
  return out;
}

}  // namespace mailtrail
