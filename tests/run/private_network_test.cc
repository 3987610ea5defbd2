// PrivateNetworkProblem: an agent in a network namespace of its own (the
// unit's PrivateNetwork=yes) sees no address but loopback; a firewall there
// blocks nothing, and the server's own addresses are not protected
// (helper-149 F1). The real namespace: tests/replay/cli_errors.sh (unshare -n).
#include <gtest/gtest.h>

#include "agent/run/enforcement.h"
#include "agent/run/start_notes.h"

namespace mailtrail {
namespace {

std::vector<Cidr> Nets(std::initializer_list<const char*> texts) {
  std::vector<Cidr> out;
  for (const char* t : texts) out.push_back(*Cidr::Parse(t));
  return out;
}

TEST(PrivateNetwork, AFirewallSeeingOnlyLoopbackIsRefused) {
  Config c;
  c.enforce.nftables = true;
  bool fatal = false;
  EXPECT_NE(PrivateNetworkProblem(c, Nets({"127.0.0.1/32", "::1/128"}), &fatal), "");
  EXPECT_TRUE(fatal);
  EXPECT_NE(PrivateNetworkProblem(c, {}, &fatal), "") << "lo down: no address at all";
  EXPECT_TRUE(fatal);
  EXPECT_EQ(PrivateNetworkProblem(c, Nets({"127.0.0.1/32", "192.0.2.10/32"}), &fatal), "");
  EXPECT_FALSE(fatal);
  c.detect.enabled = false;  // nothing is blocked
  EXPECT_EQ(PrivateNetworkProblem(c, {}, &fatal), "");
}

TEST(PrivateNetwork, ThePolicyServiceAloneIsWarned) {
  Config c;
  c.policy.socket = "/run/mailtrail/policy.sock";
  bool fatal = true;
  EXPECT_NE(PrivateNetworkProblem(c, Nets({"127.0.0.1/32"}), &fatal).find("[blocks] allow"),
            std::string::npos);
  EXPECT_FALSE(fatal);
  c.blocks.allow_own_addresses = false;  // the admin lists them
  EXPECT_EQ(PrivateNetworkProblem(c, Nets({"127.0.0.1/32"}), &fatal), "");
  Config none;  // nothing enforced: nothing to say
  EXPECT_EQ(PrivateNetworkProblem(none, Nets({"127.0.0.1/32"}), &fatal), "");
}

// The access map cannot hold an IPv6 network: said when it is the only
// backend for clients (helper-149 F6).
TEST(AccessMapAlone, IsSaidOnlyWhenNothingElseBlocksClients) {
  Config c;
  c.enforce.access_map = "/etc/postfix/mailtrail/access";
  EXPECT_NE(AccessMapAloneNote(c).find("IPv6 network"), std::string::npos);
  c.policy.socket = "/var/spool/postfix/private/mailtrail-policy";
  EXPECT_EQ(AccessMapAloneNote(c), "");
  c.policy.socket.clear();
  c.enforce.nftables = true;
  EXPECT_EQ(AccessMapAloneNote(c), "");
  Config none;
  EXPECT_EQ(AccessMapAloneNote(none), "");
}

// check-config and run say the same notes (StartNotes): the fatal one first.
TEST(StartNotes, AFatalNoteComesFirstAndTheOthersFollow) {
  Config c;
  c.enforce.access_map = "/etc/postfix/mailtrail/access";
  auto notes = StartNotes(c, Nets({"127.0.0.1/32", "192.0.2.10/32"}));
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].level, NoteLevel::kWarning);
  EXPECT_NE(notes[0].text.find("IPv6 network"), std::string::npos);
  c.enforce.nftables = true;
  notes = StartNotes(c, Nets({"127.0.0.1/32"}));
  ASSERT_FALSE(notes.empty());
  EXPECT_EQ(notes[0].level, NoteLevel::kFatal);
  EXPECT_TRUE(StartNotes(Config{}, Nets({"127.0.0.1/32", "192.0.2.10/32"})).empty());
}

}  // namespace
}  // namespace mailtrail
