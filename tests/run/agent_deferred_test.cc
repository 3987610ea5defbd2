// The live agent counts a bounce at its first deferral: 25 bounces in 25 s
// from one source, each deferred at our LMTP server (a full mailbox), are
// blocked as they come, as `detect` over the same lines blocks them. They
// stayed open, and the agent counted a bounce only when its record closed,
// hours later and outside every window (helper-134 F4).
#include <gtest/gtest.h>

#include <string>

#include "agent/run/agent.h"
#include "tests/support/agent_steps.h"
#include "tests/support/fake_clock.h"
#include "tests/support/mem_file_system.h"
#include "tests/support/store_fixture.h"
#include "tests/support/temp_dir.h"

namespace mailtrail {
namespace {

// Bounce `i` from `ip` at `t`, deferred at LMTP and left in the queue.
std::string DeferredBounce(TimeUs t, const std::string& ip, int i) {
  const std::string s = FormatRfc3339(t) + " mx1 postfix/";
  const std::string q = "7D" + std::to_string(100000 + i);
  const std::string rcpt = "y" + std::to_string(i) + "@example.test";
  const std::string peer = "mta.defer.example[" + ip + "]";
  return s + "smtpd[30]: connect from " + peer + "\n" +  //
         s + "smtpd[30]: " + q + ": client=" + peer + "\n" + s + "cleanup[31]: " + q +
         ": info: header Subject: Undelivered Mail Returned to Sender from " + peer +
         "; from=<> to=<" + rcpt + "> proto=ESMTP helo=<mta.defer.example>\n" + s +
         "cleanup[31]: " + q + ": message-id=<" + q + "@mta.defer.example>\n" + s +
         "qmgr[32]: " + q + ": from=<>, size=900, nrcpt=1 (queue active)\n" + s + "lmtp[33]: " + q +
         ": to=<" + rcpt +
         ">, relay=mail.example.test[private/dovecot-lmtp], delay=0.1, "
         "delays=0/0/0/0.1, dsn=4.2.2, status=deferred (host "
         "mail.example.test[private/dovecot-lmtp] said: 452 4.2.2 <" +
         rcpt + "> Quota exceeded (in reply to end of DATA command))\n" + s +
         "smtpd[30]: disconnect from " + peer + " ehlo=1 mail=1 rcpt=1 data=1 quit=1\n";
}

TEST(AgentDeferred, AFloodDeferredAtOurMailboxesIsBlockedAsItComes) {
  TempDir dir("mt_agent_deferred");
  std::unique_ptr<Store> store = OpenTestStore(dir);
  ASSERT_NE(store, nullptr);
  FakeClock clock;
  MemFileSystem fs;
  AgentOptions o;
  o.logs = {"/var/log/mail.log"};
  o.from_start = true;
  o.detect = true;
  Agent agent(o, store.get(), &fs, &clock);
  ASSERT_TRUE(agent.Start().ok());
  ASSERT_NE(agent.blocks(), nullptr);
  for (int i = 0; i < 25; ++i) {
    fs.Append("/var/log/mail.log", DeferredBounce(clock.WallNow(), "203.0.113.88", i));
    clock.Advance(kUsPerSecond);
    ASSERT_TRUE(StepWithRoom(agent).ok());
  }
  const auto active = agent.blocks()->Active();
  ASSERT_EQ(active.size(), 1u) << "every bounce is still open: none closed";
  EXPECT_EQ(active[0].key, "203.0.113.88");
  EXPECT_EQ(active[0].rule, "backscatter-ip");
  ASSERT_TRUE(agent.Stop().ok());
}

}  // namespace
}  // namespace mailtrail
