#include "agent/cli/block_explain.h"

#include "actions/postfix/postfix_tables.h"
#include "agent/blocks/block_manager.h"
#include "agent/detect/subject.h"
#include "base/cidr.h"

namespace mailtrail::cli {

StatusOr<std::vector<BlockExplanation>> ExplainBlocks(Store& store, const BlockGuard& guard,
                                                      const std::string& key, TimeUs now) {
  auto blocks = store.LoadBlocks(-1);
  if (!blocks.ok()) return blocks.status();
  const std::string normalized = NormalizeSubject(key);
  std::vector<BlockExplanation> out;
  for (const Block& b : *blocks) {
    if (b.key != key && !(b.kind == BlockKind::kSubject && b.key == normalized)) continue;
    BlockExplanation e;
    e.block = b;
    e.active = b.expires > now;
    for (const auto& raw : b.raw_subjects) {
      const HeaderCheck check = HeaderChecksLine(raw);
      e.subjects.push_back({raw, check.line, DescribeHeaderCheck(check)});
    }
    if (b.kind == BlockKind::kSubject && SubjectChars(b.key) < guard.min_subject_chars) {
      e.not_enforced = std::to_string(SubjectChars(b.key)) +
                       " characters once normalised, fewer than " +
                       std::to_string(guard.min_subject_chars) + " ([blocks] min_subject_chars)";
    } else if (b.kind != BlockKind::kSubject) {
      if (const auto net = Cidr::Parse(b.key)) e.not_enforced = ProtectedReason(guard, *net);
    }
    // Only for a row not ended: an ended one is enforced nowhere anyway.
    if (e.not_enforced.empty() && e.active && MadeTooFarAhead(b, now, guard.max_period))
      e.not_enforced = MadeAheadReason(b, now);
    for (const auto& qid : b.evidence) {
      BlockExplanation::Evidence ev;
      ev.qid = qid;
      SearchQuery q;
      q.qid = qid;
      q.limit = 1;
      Status st = store.Search(q, [&ev](MessageRecord&& r) { ev.record = std::move(r); });
      if (!st.ok()) ev.error = st.message();
      e.evidence.push_back(std::move(ev));
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace mailtrail::cli
