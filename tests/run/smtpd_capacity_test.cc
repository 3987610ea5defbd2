// Whether the policy service keeps a connection for every smtpd Postfix may
// run (helper-136 F5): master.cf's process limits as a real `postconf -F`
// prints them from a real master.cf, and the warning.
#include "agent/run/smtpd_capacity.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/temp_dir.h"

namespace mailtrail {
namespace {

TEST(SmtpdCapacity, SumsTheSmtpdServicesAndSkipsTheLoopbackOnes) {
  const char* fields =
      "smtp/inet/process_limit = 1\n"
      "smtp/inet/command = postscreen\n"
      "smtpd/pass/process_limit = -\n"
      "smtpd/pass/command = smtpd\n"
      "submission/inet/process_limit = 50\n"
      "submission/inet/command = smtpd -o syslog_name=postfix/submission\n"
      "127.0.0.1:10025/inet/process_limit = 0\n"
      "127.0.0.1:10025/inet/command = smtpd -o smtpd_client_restrictions=\n"
      "pickup/unix/process_limit = 1\n"
      "pickup/unix/command = pickup\n"
      "garbage without an equals sign\n";
  const SmtpdProcessLimit l = ParseSmtpdProcessLimit(fields, 600);
  EXPECT_EQ(l.total, 650);
  EXPECT_EQ(l.services, "smtpd 600, submission 50");
  EXPECT_EQ(l.unlimited, "") << "a loopback listener is a content filter's return";
  const SmtpdProcessLimit open = ParseSmtpdProcessLimit(
      "smtp/inet/process_limit = 0\nsmtp/inet/command = smtpd\n"
      "[::1]:10025/inet/process_limit = -\n[::1]:10025/inet/command = smtpd\n"
      "big/unix/process_limit = 1000000000\nbig/unix/command = smtpd\n",
      100);
  EXPECT_EQ(open.unlimited, "smtp");
  EXPECT_EQ(open.total, 1000000000);
  EXPECT_NE(SmtpdCapacityWarning(open, 512, 384).find("raise both"), std::string::npos);
}

TEST(SmtpdCapacity, WarnsOnlyWhenTheSmtpdProcessesOutnumberTheConnections) {
  SmtpdProcessLimit l;
  l.total = 384;
  l.services = "smtp 384";
  EXPECT_EQ(SmtpdCapacityWarning(l, 512, 384), "");
  l.total = 385;
  const std::string w = SmtpdCapacityWarning(l, 512, 384);
  EXPECT_NE(w.find("385 smtpd processes"), std::string::npos) << w;
  EXPECT_LT(w.find("raise both limits above 385"), w.find("smtp 384")) << "advice first: " << w;
  EXPECT_NE(SmtpdCapacityWarning(l, 300, 1000).find("keeps 300"), std::string::npos);
  l.total = 100;
  l.unlimited = "smtp";
  EXPECT_NE(SmtpdCapacityWarning(l, 512, 384).find("no process limit (0) in smtp"),
            std::string::npos);
}

TEST(SmtpdCapacity, RealPostconfReadsMasterCf) {
  TempDir dir("mt_postconf");
  std::ofstream(dir.File("main.cf")) << "compatibility_level = 3.7\n"
                                        "default_process_limit = 500\n";
  std::ofstream(dir.File("master.cf"))
      << "smtp      inet  n       -       y       -       -       smtpd\n"
         "submission inet n       -       y       -       40      smtpd\n"
         "  -o syslog_name=postfix/submission\n"
         "127.0.0.1:10025 inet n - n - 0 smtpd -o smtpd_client_restrictions=\n"
         "pickup    unix  n       -       y       60      1       pickup\n";
  auto l = PostfixSmtpdProcessLimit(dir.path().string());
  ASSERT_TRUE(l.ok()) << l.status().message();
  EXPECT_EQ(l->total, 540);
  EXPECT_EQ(l->services, "smtp 500, submission 40");
  EXPECT_NE(SmtpdCapacityWarning(*l, 512, 384), "");
  EXPECT_FALSE(PostfixSmtpdProcessLimit(dir.File("missing")).ok());
  EXPECT_FALSE(PostfixSmtpdProcessLimit(dir.path().string(), "/nonexistent/postconf").ok());
}

}  // namespace
}  // namespace mailtrail
