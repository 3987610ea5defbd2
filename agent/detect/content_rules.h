// ContentRules: the admin's rules over logged headers (PCRE2, JIT-compiled, in
// byte mode so that no input is invalid), e.g. From ^.*Mailer.*$. A rule has an
// action: "count" (a match counts the message as a bounce for the flood rules),
// "block-ip" or "block-subject" (threshold matches within the window block the
// client or the subject). Attacker text meets explicit match and depth limits:
// a rule that hits one counts as "no match" and the hit is counted.
#ifndef MAILTRAIL_AGENT_DETECT_CONTENT_RULES_H_
#define MAILTRAIL_AGENT_DETECT_CONTENT_RULES_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/track/record.h"
#include "base/civil_time.h"
#include "base/status.h"

namespace mailtrail {

// What a rule's matches do (the config's `action`).
enum class RuleAction { kCount, kBlockIp, kBlockSubject };

// The action's name as the config spells it: "count", "block-ip", "block-subject".
const char* RuleActionName(RuleAction a);
// The action named `name`; anything else is InvalidArgument "action must be
// count, block-ip or block-subject, not "..."". Parsed once, by the config.
StatusOr<RuleAction> ParseRuleAction(std::string_view name);

struct ContentRuleSpec {
  std::string name;
  std::string header;   // "From" | "Subject": the pattern sees "From: <as logged>"
  std::string pattern;  // PCRE2
  RuleAction action = RuleAction::kCount;  // the config requires it to be written
  int threshold = 1;
  TimeUs window = 60 * kUsPerSecond;
};

class ContentRules {
 public:
  // Compiles every rule; an error names the rule and the place in its pattern.
  static StatusOr<std::unique_ptr<ContentRules>> Compile(const std::vector<ContentRuleSpec>& specs,
                                                         uint32_t match_limit = 100000,
                                                         uint32_t depth_limit = 1000);
  ~ContentRules();

  // The indexes of the rules that match the record's logged headers.
  std::vector<size_t> Matches(const MessageRecord& r);
  const std::vector<ContentRuleSpec>& specs() const { return specs_; }
  // Matches abandoned at a limit (counted as no match).
  int64_t limit_hits() const { return limit_hits_; }

 private:
  struct Compiled;
  ContentRules() = default;
  std::vector<ContentRuleSpec> specs_;
  std::vector<std::unique_ptr<Compiled>> compiled_;
  int64_t limit_hits_ = 0;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_DETECT_CONTENT_RULES_H_
