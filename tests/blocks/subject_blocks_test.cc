// Subject blocks that are too short or too generic to name one flood are
// refused (a block on "Re" rejected every reply), and a subject never turns
// into two enforcement rules.
#include <gtest/gtest.h>

#include "agent/blocks/block_manager.h"
#include "agent/blocks/desired.h"
#include "agent/detect/subject.h"
#include "tests/support/capture_logger.h"

namespace mailtrail {
namespace {

constexpr TimeUs kNow = 1'800'000'000LL * kUsPerSecond;

Decision SubjectDecision(const std::string& raw, TimeUs at) {
  Decision d;
  d.kind = Decision::Kind::kSubject;
  d.key = NormalizeSubject(raw);
  d.raw_subjects = {raw};
  d.rule = "backscatter-subject";
  d.at = at;
  return d;
}

TEST(SubjectBlocks, ShortSubjectsAreRefusedCountedAndSaidOnce) {
  BlockPolicy p;
  p.min_subject_chars = 12;
  BlockManager m(p);
  CaptureLogger said;
  m.log = &said;
  std::string why;
  for (const char* s : {"Re", "RE: a", "Fwd: Re: ok", "Réponse 12"}) {
    EXPECT_EQ(m.Apply(SubjectDecision(s, kNow), &why), nullptr) << s;
    EXPECT_EQ(why, "subject too short") << s;
  }
  // The detector decides again on later bounces: counted, said once.
  EXPECT_EQ(m.Apply(SubjectDecision("Re", kNow + kUsPerSecond), &why), nullptr);
  EXPECT_EQ(m.short_subjects(), 5);
  EXPECT_EQ(said.lines().size(), 4u) << "once per subject";
  EXPECT_NE(m.Apply(SubjectDecision("Delivery report for xyz", kNow), &why), nullptr) << why;
  // Characters, not bytes: 12 letters of Cyrillic (24 bytes) are not enough
  // for 13, a 12-letter ASCII subject is enough for 12.
  p.min_subject_chars = 13;
  BlockManager m13(p);
  CaptureLogger quiet_m13;
  m13.log = &quiet_m13;
  EXPECT_EQ(m13.Apply(SubjectDecision("абвгдежзийкл", kNow), &why), nullptr);
  EXPECT_NE(m.Apply(SubjectDecision("abcdefghijkl", kNow), &why), nullptr) << why;
}

TEST(SubjectBlocks, ShortSubjectsFromTheStoreAreNotEnforced) {
  BlockManager m(BlockPolicy{});
  CaptureLogger quiet_m;
  m.log = &quiet_m;
  Block b;
  b.kind = BlockKind::kSubject;
  b.key = "re";
  b.raw_subjects = {"Re"};
  b.created = kNow;
  b.expires = kNow + 3600 * kUsPerSecond;
  EXPECT_TRUE(m.Restore({b}, kNow).empty());
  EXPECT_TRUE(m.Active().empty());
  EXPECT_EQ(m.not_enforced(), 1);
}

TEST(SubjectBlocks, ALineBreakInASubjectIsFoldedIntoOneRawForm) {
  BlockManager m(BlockPolicy{});
  std::string why;
  const Block* b = m.Apply(SubjectDecision("Delivery report\r\n\tfor xyz\nnow", kNow), &why);
  ASSERT_NE(b, nullptr) << why;
  ASSERT_EQ(b->raw_subjects.size(), 1u);
  EXPECT_EQ(b->raw_subjects[0], "Delivery report\tfor xyz now");
  // Stored joined by '\n' and split again: still one.
  EXPECT_EQ(SplitItems(JoinItems(b->raw_subjects, '\n'), '\n').size(), 1u);
  EXPECT_EQ(DesiredOf(m.Active(), kNow).subjects.size(), 1u);
}

}  // namespace
}  // namespace mailtrail
