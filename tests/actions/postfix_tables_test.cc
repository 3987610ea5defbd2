// Blocks as Postfix tables, checked with the real `postmap -q`; hostile
// subjects; whole files only; the reconciler's retries and dry run.
#include "actions/postfix/postfix_tables.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "actions/postfix/header_match.h"
#include "actions/reconciler.h"
#include "agent/blocks/block_manager.h"
#include "agent/blocks/desired.h"
#include "agent/detect/subject.h"
#include "base/run_program.h"
#include "tests/support/capture_logger.h"
#include "tests/support/temp_dir.h"

namespace mailtrail {
namespace {

class PostfixTables : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir_.File("main.cf")) << "compatibility_level = 3.7\n";
    o_.config_dir = dir_.path().string();
    o_.reply = "450 4.7.1 Service temporarily unavailable";
  }
  // postmap -q KEY TABLE: the value, or "" when not found.
  std::string Query(const std::string& key, const std::string& table) {
    auto r = RunProgram({"/usr/sbin/postmap", "-c", o_.config_dir, "-q", key, table});
    if (!r.ok()) return "";
    std::string v = *r;
    while (!v.empty() && v.back() == '\n') v.pop_back();
    return v;
  }
  // Whether the header_checks `table` refuses each header, asked of postmap.
  struct HeaderCase {
    std::string header;
    bool rejected;
  };
  void ExpectRefusals(const std::string& table, const std::vector<HeaderCase>& cases) {
    for (const auto& c : cases)
      EXPECT_EQ(Query(c.header, table), c.rejected ? kHeaderChecksAction : "") << c.header;
  }
  TempDir dir_{"mt_tables"};
  PostfixTableOptions o_;
};

TEST_F(PostfixTables, AccessMapHoldsExactlyTheBlockedClients) {
  o_.path = dir_.File("mailtrail_access");
  AccessMapAction a(o_);
  DesiredBlocks d;
  d.ips = {"198.51.100.7", "2001:db8::7"};
  d.cidrs = {"203.0.113.0/24", "10.0.0.0/8", "172.16.0.0/12", "192.0.2.128/25", "2001:db8:dd::/48"};
  ASSERT_TRUE(a.Apply(d, 0).ok());
  const std::string table = "lmdb:" + o_.path;
  EXPECT_EQ(Query("198.51.100.7", table), o_.reply);
  EXPECT_EQ(Query("2001:db8::7", table), o_.reply);
  EXPECT_EQ(Query("203.0.113", table), o_.reply) << "access(5) looks up the /24 prefix";
  EXPECT_EQ(Query("10", table), o_.reply);
  // Between two octet boundaries: the prefixes of the next one it covers
  // (helper-149 F6: left out, the block enforced nowhere with the map alone).
  for (int second = 16; second < 32; ++second)
    EXPECT_EQ(Query("172." + std::to_string(second), table), o_.reply) << second;
  EXPECT_EQ(Query("172.32", table), "");
  EXPECT_EQ(Query("172.15", table), "");
  EXPECT_EQ(Query("192.0.2.128", table), o_.reply);
  EXPECT_EQ(Query("192.0.2.255", table), o_.reply);
  EXPECT_EQ(Query("192.0.2.127", table), "") << "below the /25";
  EXPECT_EQ(Query("192.0.2", table), "") << "not the whole /24";
  EXPECT_EQ(Query("192.0.2.1", table), "");
  EXPECT_EQ(Query("2001:db8:dd", table), "") << "IPv6 networks: the policy service's";
  d.ips = {"192.0.2.1"};
  d.cidrs.clear();
  EXPECT_EQ(a.Apply(d, kUsPerSecond / 2).code(), Status::Code::kUnavailable)
      << "at most one rebuild per second";
  ASSERT_TRUE(a.Apply(d, kUsPerSecond).ok());
  EXPECT_EQ(Query("198.51.100.7", table), "") << "unblocked";
  EXPECT_EQ(Query("192.0.2.1", table), o_.reply);
  for (const auto& e : std::filesystem::directory_iterator(dir_.path()))
    EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos) << "left over: " << e.path();
}

// An address and a network holding it write one key once (postmap warned
// of the duplicate, helper-150 #7).
TEST_F(PostfixTables, AnAddressInsideABlockedNetworkIsOneKey) {
  o_.path = dir_.File("dup_access");
  AccessMapAction a(o_);
  DesiredBlocks d;
  d.ips = {"192.0.2.130"};
  d.cidrs = {"192.0.2.128/25"};
  int skipped = 0;
  const std::string text = a.Render(d, &skipped);
  size_t at = 0, n = 0;
  while ((at = text.find("\n192.0.2.130 ", at)) != std::string::npos) ++n, ++at;
  EXPECT_EQ(n, 1u) << text;
  ASSERT_TRUE(a.Apply(d, 0).ok());
  EXPECT_EQ(Query("192.0.2.130", "lmdb:" + o_.path), o_.reply);
}

TEST_F(PostfixTables, HeaderChecksMatchHostileSubjectsLiterally) {
  o_.path = dir_.File("mailtrail_header_checks.pcre");
  o_.reload = false;
  HeaderChecksAction h(o_);
  const std::string longone = "Undeliverable: " + std::string(985, 'x');
  DesiredBlocks d;
  d.subjects = {"Undeliverable Mail", "a.b (c) [d] {e} $^|*+? /slash\\ #x -y", longone,
                "=?UTF-8?B?0J/RgNC40LLQtdGC?=", "tab\there"};
  ASSERT_TRUE(h.Apply(d, 0).ok());
  const std::string table = "pcre:" + o_.path;
  for (const auto& s : d.subjects)
    EXPECT_EQ(Query("Subject: " + s, table), kHeaderChecksAction) << s;
  EXPECT_EQ(Query("Subject: Undeliverable Mail (and more)", table), "")
      << "the whole subject, not a prefix";
  EXPECT_EQ(Query("Subject: " + longone + " and more", table), kHeaderChecksAction)
      << "a subject Postfix may have cut in its log (191 bytes and more) is matched by prefix";
  EXPECT_EQ(Query("Subject: aXb (c) [d] {e} $^|*+? /slash\\ #x -y", table), "")
      << "the dot is a dot";
  EXPECT_EQ(Query("Subject: Hello", table), "");
  EXPECT_EQ(Query("From: Undeliverable Mail", table), "") << "only the Subject header";
}

// What a header_checks line matches, asked of Postfix's own pcre table code
// (postmap -q): the whole normalised subject, not a prefix; the case as
// written (pcre tables are case-blind by default); any digits for digits and
// any whitespace or line fold for a space; one line per subject whatever it holds.
TEST_F(PostfixTables, HeaderChecksMatchTheWholeSubjectAsWritten) {
  o_.path = dir_.File("exact.pcre");
  o_.reload = false;
  HeaderChecksAction h(o_);
  DesiredBlocks d;
  d.subjects = {"Delivery report for xyz", "Invoice 4711 overdue", "Line one\r\n\tline two",
                "Re: [list] a+b? (c)"};
  ASSERT_TRUE(h.Apply(d, 0).ok());
  const std::string table = "pcre:" + o_.path;
  const std::vector<HeaderCase> kCases = {
      {"Subject: Delivery report for xyz", true},
      {"Subject:Delivery report for xyz  ", true},
      {"SUBJECT: Delivery report for xyz", true},     // header names are case-blind
      {"Subject: Delivery report\n\tfor xyz", true},  // folded
      {"Subject: Delivery report for xyz and more", false},
      {"Subject: Delivery report for xyzz", false},
      {"Subject: delivery report for xyz", false},
      {"Subject: DELIVERY REPORT FOR XYZ", false},
      {"Subject: Re: Delivery report for xyz", false},
      {"Subject: Invoice 815 overdue", true},
      {"Subject: Invoice 4711a overdue", false},
      {"Subject: Line one line two", true},
      {"Subject: Re: [list] a+b? (c)", true},
      {"Subject: Re: [list] aab? (c)", false},
  };
  ExpectRefusals(table, kCases);
  std::string text;
  std::getline(std::ifstream(o_.path), text, '\0');
  int lines = 0;
  for (char ch : text) lines += ch == '\n';
  EXPECT_EQ(lines, 5) << "a comment and one line per subject:\n" << text;
}

// A subject logged at the cut length but ending in whitespace was cut in its
// padding: "Your invoice" and 180 spaces once became a prefix line refusing
// every subject that began "Your invoice". And the digits of an encoded word
// are its base64 text, not a number: they stay as written.
TEST_F(PostfixTables, PaddingAndEncodedWordsDoNotWidenASubjectBlock) {
  o_.path = dir_.File("padded.pcre");
  o_.reload = false;
  HeaderChecksAction h(o_);
  DesiredBlocks d;
  const std::string padded = "Your invoice" + std::string(kLoggedSubjectMax - 12, ' ');
  // Cut too, though its text after trimming is shorter than the cut.
  const std::string indented =
      std::string(20, ' ') + "Your statement " + std::string(kLoggedSubjectMax - 35, 'y');
  // A run of spaces inside a cut subject is as wide in the header: folded to
  // "any spaces", "Your invoice is", 180 spaces and "x" refused every subject
  // beginning "Your invoice is x" (helper-110 F6).
  const std::string inner = "Your invoice is" + std::string(180, ' ') + "x";
  d.subjects = {padded, indented, "=?UTF-8?B?w7xiZXIgw6Q=?= 12 days",
                "A long subject " + std::string(kLoggedSubjectMax, 'x'), inner};
  ASSERT_TRUE(h.Apply(d, 0).ok());
  const std::string table = "pcre:" + o_.path;
  const std::vector<HeaderCase> kCases = {
      {"Subject: Your invoice" + std::string(kLoggedSubjectMax - 12, ' '), true},
      {"Subject: Your invoice" + std::string(300, ' ') + "ref 8", true},  // the flood's own
      {"Subject: Your invoice", false},
      {"Subject: Your invoice 4711 from ACME GmbH is ready", false},
      {"Subject: Your statement " + std::string(kLoggedSubjectMax, 'y'), true},
      {"Subject: Your invoices for March", false},
      {"Subject: =?UTF-8?B?w7xiZXIgw6Q=?= 12 days", true},
      {"Subject: =?UTF-8?B?w7xiZXIgw6Q=?= 7 days", true},
      {"Subject: =?UTF-8?B?w9xiZXIgw6Q=?= 12 days", false},
      {"Subject: A long subject " + std::string(kLoggedSubjectMax, 'x') + "yz", true},
      {"Subject: " + inner + "mas offer", true},  // the flood's own, cut
      {"Subject: Your invoice is xmas-special.pdf", false},
      {"Subject: Your invoice is  x", false},
  };
  ExpectRefusals(table, kCases);
}

// Postfix logs a header through printable(): a fold's line break, a tab and
// (without SMTPUTF8) every 8-bit byte become '?'. A subject block made from
// the log must match the header as it is: there, each '?' may be one.
TEST_F(PostfixTables, ALoggedQuestionMarkMatchesWhatPostfixPrintedAsOne) {
  o_.path = dir_.File("folded.pcre");
  o_.reload = false;
  HeaderChecksAction h(o_);
  DesiredBlocks d;
  d.subjects = {"Quarterly report for December and? a second folded line? third folded",
                "Caf?? ouvert"};
  ASSERT_TRUE(h.Apply(d, 0).ok());
  const std::string table = "pcre:" + o_.path;
  const std::vector<HeaderCase> kCases = {
      {"Subject: Quarterly report for December and\n a second folded line\n third folded", true},
      {"Subject: Quarterly report for December and? a second folded line? third folded", true},
      {"Subject: Quarterly report for December and\n\ta second folded line\n third folded", true},
      {"Subject: Quarterly report for December andx a second folded line? third folded", false},
      {"Subject: Caf\xc3\xa9 ouvert", true},
      {"Subject: Cafe ouvert", false},
  };
  ExpectRefusals(table, kCases);
}

// A cut subject (as long as Postfix logs one) ending in a run of '?': the
// run is as many bytes of the header, which the table matches byte by byte.
// "{1,175}" let one character stand for the run, and the prefix then refused
// "Your invoice is attached - March" with any dash (helper-149 F5); "{44,175}"
// still refused 60 bytes of Chinese (helper-150 #1).
TEST_F(PostfixTables, ARunOfQuestionMarksInACutSubjectIsAsLongAsItWas) {
  o_.path = dir_.File("cut.pcre");
  o_.reload = false;
  HeaderChecksAction h(o_);
  DesiredBlocks d;
  d.subjects = {"Your invoice is attached " + std::string(175, '?')};
  ASSERT_TRUE(h.Apply(d, 0).ok());
  // `n` bytes of valid UTF-8 ("\u2013" once if n is odd, then "\u00e9"s):
  // Postfix refuses to look up a header that is not UTF-8.
  auto accents = [](size_t n) {
    std::string a = n % 2 ? "\xe2\x80\x93" : "";
    while (a.size() < n) a += "\xc3\xa9";
    return a;
  };
  std::string chinese;  // 60 bytes of three-byte characters (helper-150 #1)
  for (int n = 0; n < 20; ++n) chinese += "\xe8\xaf\xb7";
  ExpectRefusals("pcre:" + o_.path,
                 {
                     {"Subject: Your invoice is attached \xe2\x80\x93 March", false},
                     {"Subject: Your invoice is attached \xc3\xa9t\xc3\xa9", false},
                     {"Subject: Your invoice is attached " + chinese, false},
                     {"Subject: Your invoice is attached " + accents(44), false},
                     {"Subject: Your invoice is attached " + accents(175) + " more", true},
                     {"Subject: Your invoice is attached " + std::string(175, '?'), true},
                 });
}

// Digits vary only as far as the subject's key lets them (NormalizeSubject):
// "KW49" is a word of the key and "KW4949" is "#", so a block of the second
// refused an allowlisted "Newsletter KW49" (helper-152 F5); and a cut
// subject's digits are as many or more, or "Your invoice" and 178 digits
// refused "Your invoice 4711 from ACME" (helper-152 F2).
TEST_F(PostfixTables, DigitsVaryOnlyWhereTheSubjectsKeyDoes) {
  o_.path = dir_.File("digits.pcre");
  o_.reload = false;
  HeaderChecksAction h(o_);
  DesiredBlocks d;
  const std::string cut = "Your invoice " + std::string(kLoggedSubjectMax - 13, '7');
  d.subjects = {"Newsletter KW4949",
                "Order INV12345 shipped",
                "Ticket deadbeef1 closed",
                "Week KW49 summary",
                "Parcel 4711 for 1 customer",
                cut,
                "=?UTF-8?Q?Ihr_Termin_=E2=80=93_bitte?= best\xc3\xa4tigen",
                "=?UTF-8?Q?Ihre_Rechnung_4711_vom_Amt?="};
  ASSERT_TRUE(h.Apply(d, 0).ok());
  ExpectRefusals("pcre:" + o_.path,
                 {
                     {"Subject: Newsletter KW1234", true},
                     {"Subject: Newsletter KW123456", true},
                     {"Subject: Newsletter KW49", false},
                     {"Subject: Newsletter KW4", false},
                     {"Subject: Order INV54321 shipped", true},
                     {"Subject: Order INV9999999 shipped", true},
                     {"Subject: Order INV12 shipped", false},
                     {"Subject: Ticket deadbeef7 closed", true},
                     {"Subject: Week KW49 summary", true},
                     {"Subject: Week KW50 summary", false},
                     {"Subject: Parcel 815 for 12 customer", true},
                     {"Subject: " + cut + "77 more", true},
                     {"Subject: Your invoice 4711 from ACME Corp is attached", false},
                     {"Subject: Your invoice 2026-0042 for November", false},
                     // A Q-encoded word's escapes are no numbers (helper-153 F6).
                     {"Subject: =?UTF-8?Q?Ihr_Termin_=E2=80=93_bitte?= best\xc3\xa4tigen", true},
                     {"Subject: =?UTF-8?Q?Ihr_Termin_=E2=84=93_bitte?= best\xc3\xa4tigen", false},
                     // Its numbers vary as in plain text (helper-155).
                     {"Subject: =?UTF-8?Q?Ihre_Rechnung_98765_vom_Amt?=", true},
                     {"Subject: =?UTF-8?Q?Ihre_Rechnung_vom_Amt?=", false},
                 });
  // Every subject refused has the block's key (for the exact ones).
  for (const auto& [blocked, other] : std::vector<std::pair<std::string, std::string>>{
           {"Newsletter KW4949", "Newsletter KW123456"},
           {"Order INV12345 shipped", "Order INV9999999 shipped"},
           {"Ticket deadbeef1 closed", "Ticket deadbeef7 closed"},
           {"Parcel 4711 for 1 customer", "Parcel 815 for 12 customer"}})
    EXPECT_EQ(NormalizeSubject(blocked), NormalizeSubject(other)) << other;
}

// A subject of [blocks] allow_subjects is never refused by a line made from
// another subject: "R??ckl??ufer" (Postfix printed each 8-bit byte as '?')
// matches "Rückläufer" byte for byte, though its key differs (helper-152 F5).
TEST_F(PostfixTables, ALineThatWouldRefuseAnAllowlistedSubjectIsNotWritten) {
  o_.path = dir_.File("protected.pcre");
  o_.reload = false;
  o_.protected_subjects = {
      "R\xc3\xbc"
      "ckl\xc3\xa4ufer Bestellung bitte"};
  HeaderChecksAction h(o_);
  DesiredBlocks d;
  d.subjects = {"R??ckl??ufer Bestellung bitte", "Ihre Bestellung wurde versandt"};
  ASSERT_TRUE(h.Apply(d, 0).ok());
  ExpectRefusals("pcre:" + o_.path, {
                                        {"Subject: R\xc3\xbc"
                                         "ckl\xc3\xa4ufer Bestellung bitte",
                                         false},
                                        {"Subject: Ihre Bestellung wurde versandt", true},
                                    });
  std::string text;
  std::getline(std::ifstream(o_.path), text, '\0');
  EXPECT_NE(text.find("not written"), std::string::npos) << text;
}

// The matcher that keeps allowlisted subjects out of reach answers as
// Postfix's own pcre table does (postmap -q), header by header.
TEST_F(PostfixTables, TheMatcherAgreesWithPostmap) {
  o_.path = dir_.File("agree.pcre");
  o_.reload = false;
  const std::vector<std::string> subjects = {"Invoice 4711 overdue", "Caf?? ouvert",
                                             "Re: [list] a+b? (c)", "Newsletter KW4949",
                                             "Your invoice is attached " + std::string(175, '?')};
  const std::vector<std::string> headers = {
      "Subject: Invoice 815 overdue", "Subject: invoice 815 overdue",
      "SUBJECT: Invoice 1 overdue",   "Subject: Caf\xc3\xa9 ouvert",
      "Subject: Cafe ouvert",         "Subject: Re: [list] a+b? (c)",
      "Subject: Re: [list] aab? (c)", "Subject: Newsletter KW1234",
      "Subject: Newsletter KW49",     "Subject: Your invoice is attached \xe2\x80\x93 March"};
  for (const std::string& subject : subjects) {
    DesiredBlocks d;
    d.subjects = {subject};
    HeaderChecksAction h(o_);
    ASSERT_TRUE(h.Apply(d, 0).ok());
    const HeaderCheckMatcher m(HeaderChecksLine(subject).line);
    for (const std::string& header : headers)
      EXPECT_EQ(m.Matches(header), !Query(header, "pcre:" + o_.path).empty())
          << subject << " / " << header;
  }
}

// The issue's case, from decision to Postfix: two sources sent 25 bounces
// each titled "Re"; the block manager refuses that subject (too short), so the
// table never holds a line that would refuse every reply.
TEST_F(PostfixTables, AShortSubjectNeverReachesHeaderChecks) {
  BlockManager m(BlockPolicy{});
  CaptureLogger quiet_m;
  m.log = &quiet_m;
  std::string why;
  for (const char* raw : {"Re", "Delivery report for xyz"}) {
    Decision d;
    d.kind = Decision::Kind::kSubject;
    d.key = NormalizeSubject(raw);
    d.raw_subjects = {raw};
    d.at = 1'800'000'000LL * kUsPerSecond;
    m.Apply(d, &why);
  }
  o_.path = dir_.File("short.pcre");
  o_.reload = false;
  HeaderChecksAction h(o_);
  ASSERT_TRUE(h.Apply(DesiredOf(m.Active(), 0), 0).ok());
  const std::string table = "pcre:" + o_.path;
  for (const char* ok : {"Subject: Re", "Subject: RE: contract signed",
                         "Subject: Request for quote", "Subject: Delivery report for xyz and more"})
    EXPECT_EQ(Query(ok, table), "") << ok;
  EXPECT_EQ(Query("Subject: Delivery report for xyz", table), kHeaderChecksAction);
}

TEST_F(PostfixTables, TablesAreNeverSeenHalfWritten) {
  o_.path = dir_.File("mailtrail_header_checks.pcre");
  o_.reload = false;
  HeaderChecksAction h(o_);
  DesiredBlocks a, b;
  for (int i = 0; i < 2000; ++i) a.subjects.push_back("subject a " + std::to_string(i));
  b.subjects = {"just one"};
  const std::string text_a = h.Render(a), text_b = h.Render(b);
  ASSERT_TRUE(h.Apply(a, 0).ok());
  std::atomic<bool> done{false};
  std::atomic<int> torn{0}, reads{0};
  std::thread reader([&] {
    while (!done) {
      std::ifstream in(o_.path);
      std::stringstream ss;
      ss << in.rdbuf();
      if (ss.str() != text_a && ss.str() != text_b) ++torn;
      ++reads;
    }
  });
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(h.Apply(i % 2 ? a : b, i).ok());
  done = true;
  reader.join();
  EXPECT_EQ(torn, 0) << "of " << reads << " reads";
}

// A restart finds the table as it left it: no write, no reload (a reload
// restarts qmgr); unless the last write was never followed by a reload.
TEST_F(PostfixTables, ARestartReloadsOnlyWhatPostfixHasNotSeen) {
  const std::string calls = dir_.File("calls");
  const std::string fake = dir_.File("postfix");
  std::ofstream(fake) << "#!/bin/sh\necho \"$*\" >> " << calls << "\n";
  std::filesystem::permissions(fake, std::filesystem::perms::owner_all);
  o_.path = dir_.File("hc.pcre");
  o_.postfix = fake;
  auto reloads = [&] {
    std::ifstream in(calls);
    int n = 0;
    for (std::string l; std::getline(in, l);) n += l.find(" reload") != std::string::npos;
    return n;
  };
  DesiredBlocks d;
  d.subjects = {"Undeliverable: parcel"};
  ASSERT_TRUE(HeaderChecksAction(o_).Apply(d, 0).ok());
  EXPECT_EQ(reloads(), 1);
  ASSERT_TRUE(HeaderChecksAction(o_).Apply(d, 0).ok());
  EXPECT_EQ(reloads(), 1) << "a restart with the same table reloaded nothing";
  // Written after the last reload (a crash in between): reloaded at the restart.
  // The table's mtime is set a second past the reload stamp's, not waited for.
  struct stat stamp;
  ASSERT_EQ(::stat((o_.path + ".reloaded").c_str(), &stamp), 0);
  timespec later[2] = {stamp.st_mtim, stamp.st_mtim};
  later[0].tv_sec += 1;
  later[1].tv_sec += 1;
  ASSERT_EQ(::utimensat(AT_FDCWD, o_.path.c_str(), later, 0), 0);
  ASSERT_TRUE(HeaderChecksAction(o_).Apply(d, 0).ok());
  EXPECT_EQ(reloads(), 2);
  d.subjects = {"another"};
  ASSERT_TRUE(HeaderChecksAction(o_).Apply(d, 0).ok());
  EXPECT_EQ(reloads(), 3) << "a different table is written and reloaded";
}

// postmap and postfix reload run on the agent's loop: a hung one held it
// until systemd's watchdog killed the agent. Stopped at the time limit,
// failed, said; the next Apply tries again.
TEST_F(PostfixTables, AHungPostmapOrReloadIsStoppedAndRetried) {
  const std::string hung = dir_.File("hung");
  std::ofstream(hung) << "#!/bin/sh\nexec sleep 600\n";
  std::filesystem::permissions(hung, std::filesystem::perms::owner_all);
  o_.tool_timeout_ms = 200;
  PostfixTableOptions map = o_;
  map.path = dir_.File("access");
  map.postmap = hung;
  DesiredBlocks d;
  d.ips = {"192.0.2.7"};
  Status st = AccessMapAction(map).Apply(d, 0);
  EXPECT_EQ(st.code(), Status::Code::kIoError);
  EXPECT_NE(st.message().find("did not finish within 200 ms"), std::string::npos) << st.message();
  map.postmap = o_.postmap;  // postmap works again: the same table is built
  map.tool_timeout_ms = PostfixTableOptions().tool_timeout_ms;
  st = AccessMapAction(map).Apply(d, 0);
  ASSERT_TRUE(st.ok()) << st.message();
  PostfixTableOptions hc = o_;
  hc.path = dir_.File("hc.pcre");
  hc.postfix = hung;
  d.subjects = {"x"};
  st = HeaderChecksAction(hc).Apply(d, 0);
  EXPECT_NE(st.message().find("did not finish within 200 ms"), std::string::npos) << st.message();
}

TEST_F(PostfixTables, ReloadsAreDebouncedAndFailuresRetried) {
  o_.path = dir_.File("hc.pcre");
  o_.reload_interval = 60 * kUsPerSecond;
  HeaderChecksAction h(o_);  // the real postfix: not running here, so reload fails
  DesiredBlocks d;
  d.subjects = {"x"};
  EXPECT_EQ(h.Apply(d, 0).code(), Status::Code::kIoError);
  EXPECT_EQ(h.Apply(d, kUsPerSecond).code(), Status::Code::kUnavailable) << "within the interval";
  Reconciler r;
  CaptureLogger said;
  r.log = &said;
  PostfixTableOptions ok = o_;
  ok.path = dir_.File("ok.pcre");
  ok.reload = false;
  r.Add(std::make_unique<HeaderChecksAction>(o_));
  r.Add(std::make_unique<HeaderChecksAction>(ok));
  r.Sync(d, 0);
  EXPECT_EQ(r.in_sync(), 1u) << "the failing one does not stop the other";
  EXPECT_EQ(said.lines().size(), 1u);
  r.Sync(d, 2 * kUsPerSecond);
  EXPECT_EQ(said.lines().size(), 1u) << "said once a minute";
  Reconciler dry(/*dry_run=*/true);
  dry.log = &said;
  dry.Add(std::make_unique<HeaderChecksAction>(ok));
  DesiredBlocks other;
  other.subjects = {"y"};
  dry.Sync(other, 0);
  EXPECT_NE(said.lines().back().find("dry run: would enforce 0 IPs, 0 networks, 1 subjects"),
            std::string::npos);
  std::ifstream in(ok.path);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str().find("y/"), std::string::npos) << "a dry run writes nothing";
}

// A block extended or shortened keeps its members: a backend with its own
// expiry (nftables' kernel timeouts) must hear of its new end. The sets
// compared equal, so it heard of it only at the next recheck (up to 30 s
// with the old end; after a SIGKILL, never: helper-110).
TEST(ReconcilerEnds, ANewEndOfTheSameBlocksIsApplied) {
  struct Counting : Action {
    int applied = 0;
    const char* name() const override { return "counting"; }
    Status Apply(const DesiredBlocks&, TimeUs) override {
      ++applied;
      return Status::Ok();
    }
  };
  auto action = std::make_unique<Counting>();
  Counting* counting = action.get();
  Reconciler r;
  r.Add(std::move(action));
  DesiredBlocks d;
  d.ips = {"192.0.2.7"};
  d.expires["192.0.2.7"] = 1000 * kUsPerSecond;
  d.wall_now = 10 * kUsPerSecond;
  r.Sync(d, 0);
  EXPECT_EQ(counting->applied, 1);
  d.wall_now = 20 * kUsPerSecond;
  r.Sync(d, 1);
  EXPECT_EQ(counting->applied, 1) << "the clock alone changes nothing";
  d.expires["192.0.2.7"] = 5000 * kUsPerSecond;
  r.Sync(d, 2);
  EXPECT_EQ(counting->applied, 2) << "a new end of the same block";
}

}  // namespace
}  // namespace mailtrail
