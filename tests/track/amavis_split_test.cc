// amavis lines a sender can steer (helper-121, logs in tests/data/probes/):
// amavis splits a line longer than $logline_maxlen (980 bytes) into records
// cut by byte count, and escapes a backslash as "\\". A split line's later
// part began with a whole forged line giving another message a virus
// verdict; a sender's "\"" (logged "\\"") ended its quoted local part early,
// and a forged Queue-ID inside it took the scan of another message.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "agent/replay/line_stats.h"
#include "agent/track/amavis_tasks.h"
#include "tests/support/corpus.h"
#include "tests/support/tracker_harness.h"

namespace mailtrail {
namespace {

std::vector<std::string> Probe(const std::string& name) {
  std::vector<std::string> lines = ReadProbeLines(name);
  EXPECT_FALSE(lines.empty()) << name;
  return lines;
}

// The scans of the only record of `qid` that has any, as "Passed CLEAN -1".
std::vector<std::string> Scans(TrackerHarness& h, const std::string& qid) {
  std::vector<std::string> out;
  for (const MessageRecord& r : h.records())
    if (r.qid == qid)
      for (const ScanResult& s : r.scans)
        out.push_back(s.action + " " + s.verdict + " " +
                      (s.has_score ? std::to_string(static_cast<int>(s.score)) : "-"));
  return out;
}

// The parts of a split line are joined again and read as one line (so
// the forged line inside the sender's address is the sender's text); no
// part is read alone.
TEST(AmavisSplit, ASplitLineIsReadWholeAndNoPartAlone) {
  const std::vector<std::string> lines = Probe("amavis-split.log");
  TrackerHarness h;
  h.Feed(lines);
  h.Flush();
  EXPECT_EQ(Scans(h, "0A1B210A305"), std::vector<std::string>{"Passed CLEAN -1"})
      << "no forged INFECTED verdict from a later part";
  EXPECT_EQ(Scans(h, "0C1D210A306"), std::vector<std::string>{"Passed CLEAN 2"})
      << "its own line, joined again";
  LineCounter counter;
  ParseContext ctx;
  ctx.year = 2026;
  for (const std::string& l : lines) counter.Count(ParseLine(l, ctx), l);
  EXPECT_EQ(counter.count(EventKind::kAmavisPart), 3);
  EXPECT_EQ(counter.count(EventKind::kUnknown), 0);
}

// helper-121 F4, helper-122: a message to some thirty recipients makes a
// main line longer than amavis's 980 bytes, split in its recipient list:
// both parts were unknown lines and the message kept no scan.
TEST(AmavisSplit, ALineSplitByItsRecipientsKeepsItsScan) {
  TrackerHarness h;
  h.Feed(Probe("amavis-many-recipients.log"));
  h.Flush();
  EXPECT_EQ(Scans(h, "A0C1D10A303"), std::vector<std::string>{"Passed CLEAN 3"});
  EXPECT_TRUE(Scans(h, "B0C1D10A301").empty());
}

// helper-126 F1: the sender's backslashes made two middle parts the same,
// rsyslog's RepeatedMsgReduction folded the second into "message repeated",
// and the line joined short of a part read the Queue-ID forged inside the
// sender's address: the victim took the sender's INFECTED verdict and leg.
// The "message repeated" record of the process drops the line.
TEST(AmavisSplit, ALineThatLostAPartIsNoScan) {
  TrackerHarness h;
  h.Feed(Probe("amavis-repeat-reduced.log"));
  h.Flush();
  EXPECT_EQ(Scans(h, "0A1B210A305"), std::vector<std::string>{"Passed CLEAN -1"});
  EXPECT_TRUE(Scans(h, "0C1D210A306").empty());
}

TEST(AmavisSplit, AnEscapedQuoteInTheSenderKeepsTheScanOnItsMessage) {
  TrackerHarness h;
  h.Feed(Probe("amavis-escaped-sender.log"));
  h.Flush();
  EXPECT_EQ(Scans(h, "0C1D210A306"), std::vector<std::string>{"Passed CLEAN 2"});
  EXPECT_EQ(Scans(h, "0A1B210A305"), std::vector<std::string>{"Passed CLEAN -1"});
}

// Postfix quotes local parts only: a '"' in a sender's domain ("evil@x\"")
// opened a quoted string, and a Queue-ID forged after it gave another
// message the sender's virus verdict (helper-122).
TEST(AmavisSplit, AQuoteInTheSendersDomainOpensNoQuotes) {
  TrackerHarness h;
  h.Feed(Probe("amavis-quote-in-domain.log"));
  h.Flush();
  EXPECT_TRUE(Scans(h, "B0C1D10A301").empty()) << "another message's verdict";
  const std::vector<std::string> own = Scans(h, "A0C1D10A303");
  ASSERT_EQ(own.size(), 1u);
  EXPECT_EQ(own[0].substr(0, 8), "Blocked ");
}

// The sender's text inside amavis's own fields: a Message-ID whose quoted
// string escapes a '>' (the id's end is not certain, so nothing after it is
// read), and a banned attachment's name holding ", " and a forged line (the
// verdict ends at the one " {ACTIONS}, " the line can have). Each gave a
// clean message the attacker's INFECTED or BANNED verdict (helper-127).
TEST(AmavisSplit, TheSendersTextInAmavisFieldsGivesNoOtherMessageAScan) {
  TrackerHarness id;
  id.Feed(Probe("amavis-escaped-gt-in-message-id.log"));
  id.Flush();
  EXPECT_EQ(Scans(id, "B0C1D10A300"), std::vector<std::string>{"Passed CLEAN -1"});
  EXPECT_TRUE(Scans(id, "B0C1D10A302").empty()) << "the leg of the clean message";
  // Its own scan is lost: without a Queue-ID a scan is placed by its leg or
  // by its Message-ID and task, and neither can be read after that id.
  EXPECT_TRUE(Scans(id, "A0C1D10A301").empty());

  TrackerHarness banned;
  banned.Feed(Probe("amavis-banned-name.log"));
  banned.Flush();
  EXPECT_EQ(Scans(banned, "B0C1D10A300"), std::vector<std::string>{"Passed CLEAN -1"});
  const std::vector<std::string> own = Scans(banned, "A0C1D10A301");
  ASSERT_EQ(own.size(), 1u);
  EXPECT_EQ(own[0].substr(0, 16), "Blocked BANNED (");
}

// A newline the sender puts in a decoded Subject (or dkim_i=) splits
// $log_verbose_templ's main line: the second record of the task was a whole
// forged main line, and gave a clean message, or its leg's parent, an
// INFECTED verdict (helper-130 F1). After a task's main line only its
// Blocked line is a scan (AmavisTasks).
TEST(AmavisSplit, ASecondMainLineOfATaskIsNoScan) {
  for (const char* probe :
       {"amavis-newline-in-subject.log", "amavis-newline-in-subject-noqid.log",
        "amavis-newline-after-dots.log", "amavis-newline-then-space.log",
        "amavis-newline-in-split-line.log", "amavis-newline-second-first-part.log",
        "amavis-newline-interrupt-then-parts.log", "amavis-newline-after-unknown-join.log",
        "amavis-newline-forged-passed-and-blocked.log"}) {
    SCOPED_TRACE(probe);
    TrackerHarness h;
    h.Feed(Probe(probe));
    h.Flush();
    EXPECT_EQ(Scans(h, "B0C1D10A300"), std::vector<std::string>{"Passed CLEAN -1"});
    EXPECT_TRUE(Scans(h, "B0C1D10A302").empty());
    EXPECT_LE(Scans(h, "A0C1D10A301").size(), 1u) << "its own main line at most";
  }
}

// The Blocked line that follows a Passed one (recipients blocked, others
// passed) is the same message's, and still read; one of another message,
// or a second one, is not.
TEST(AmavisTasks, OnlyTheBlockedLineOfTheSameMessageFollowsAPassedOne) {
  std::vector<std::string> texts = {
      "(9-01) Passed SPAM {RelayedTaggedInbound}, [192.0.2.9]:1 <a@x> -> <b@y>, Queue-ID: "
      "A0C1D10A301, Message-ID: <m@x>, mail_id: Q, Hits: 6, size: 9, queued_as: A0C1D10A303, 9 ms",
      "(9-01) Blocked SPAM {DiscardedInbound}, [192.0.2.9]:1 <a@x> -> <c@y>, Queue-ID: "
      "A0C1D10A301, Message-ID: <m@x>, mail_id: Q, Hits: 6, size: 9, 9 ms",
      "(9-01) Blocked SPAM {DiscardedInbound}, [192.0.2.9]:1 <a@x> -> <c@y>, Queue-ID: "
      "A0C1D10A301, Message-ID: <m@x>, mail_id: Q, Hits: 6, size: 9, 9 ms",
      "(9-02) Passed CLEAN {RelayedInbound}, [192.0.2.9]:1 <a@x> -> <b@y>, Queue-ID: "
      "B0C1D10A300, Message-ID: <n@x>, mail_id: R, Hits: 1, size: 9, 9 ms",
      "(9-02) Blocked SPAM {DiscardedInbound}, [192.0.2.9]:1 <a@x> -> <c@y>, Queue-ID: "
      "A0C1D10A301, Message-ID: <m@x>, mail_id: Q, Hits: 6, size: 9, 9 ms",
  };
  AmavisTasks tasks;
  std::vector<bool> admitted;
  for (const std::string& text : texts) {
    ParseContext ctx;
    ctx.year = 2026;
    const std::string whole = "Nov 27 12:00:12 mx amavis[9]: " + text;
    const Event ev = ParseLine(whole, ctx);
    ASSERT_EQ(ev.kind, EventKind::kScan) << text;
    admitted.push_back(tasks.Admit(ev));
  }
  EXPECT_EQ(admitted, (std::vector<bool>{true, true, false, true, false}));
  EXPECT_EQ(tasks.refused(), 2);

  // A new amavis child with the pid of one long gone begins task 9-01 again
  // (helper-131 F3): its main line is read.
  ParseContext later;
  later.year = 2026;
  const Event again = ParseLine("Nov 27 18:00:00 mx amavis[9]: " + texts[3], later);
  ASSERT_EQ(again.task, "9-02");
  EXPECT_TRUE(tasks.Admit(again));
}

}  // namespace
}  // namespace mailtrail
