// The policy delegation protocol: requests cut out of any byte stream, caps,
// and answers that let mail flow unless the client is surely blocked.
#include "actions/policy/policy_protocol.h"

#include <gtest/gtest.h>

namespace mailtrail {
namespace {

constexpr const char* kRequest =
    "request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n"
    "client_address=198.51.100.7\nclient_name=mx.example.test\nhelo_name=mx.example.test\n"
    "sender=\nrecipient=bob@example.test\ninstance=123.456.7\n\n";

PolicyTable Table() {
  PolicyTable t;
  t.ips = {"198.51.100.7", "2001:db8::7"};
  t.networks = {*Cidr::Parse("203.0.113.0/24")};
  return t;
}

TEST(PolicyReader, CutsRequestsAtAnyByteBoundary) {
  const std::string two = std::string(kRequest) + kRequest;
  for (size_t cut = 0; cut <= two.size(); ++cut) {
    PolicyReader r;
    std::vector<PolicyRequest> out;
    r.Feed(std::string_view(two).substr(0, cut), &out);
    r.Feed(std::string_view(two).substr(cut), &out);
    ASSERT_EQ(out.size(), 2u) << cut;
    EXPECT_EQ(out[1].attributes.at("client_address"), "198.51.100.7");
    EXPECT_EQ(out[1].attributes.at("sender"), "");
    EXPECT_FALSE(out[0].malformed);
  }
}

// An attribute over kMaxLine is dropped, the request still decided: a HELO
// or MAIL FROM of 5,000 bytes (the client's own text, where Postfix's
// line_length_limit was raised) made a blocked client's request DUNNO
// (helper-136 F4).
TEST(PolicyReader, AnOverlongAttributeIsDroppedAndTheRequestStillDecided) {
  PolicyReader r;
  std::vector<PolicyRequest> out;
  r.Feed(
      "request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=198.51.100.7\n"
      "helo_name=" +
          std::string(10000, 'x') + "\nsender=" + std::string(5000, 'y') +
          "\nrecipient=bob@example.test\n\n",
      &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].malformed);
  EXPECT_EQ(out[0].attributes.count("helo_name"), 0u);
  EXPECT_EQ(out[0].attributes.count("sender"), 0u) << "not taken for an empty sender";
  EXPECT_EQ(out[0].attributes.at("recipient"), "bob@example.test");
  EXPECT_EQ(PolicyAnswer(out[0], Table(), {"450 4.7.1 x", "HOLD y"}), "action=450 4.7.1 x");
  EXPECT_LE(r.pending(), PolicyReader::kMaxLine);
}

TEST(PolicyReader, CapsMarkARequestMalformedAndTheNextOneIsFine) {
  PolicyReader r;
  std::vector<PolicyRequest> out;
  std::string many;
  for (size_t i = 0; i <= PolicyReader::kMaxAttributes; ++i)
    many += "a" + std::to_string(i) + "=1\n";
  r.Feed(many + "\n", &out);
  r.Feed("no equals sign\n\n", &out);
  std::string big;
  while (big.size() <= PolicyReader::kMaxRequest)
    big += "b" + std::to_string(big.size()) + "=" + std::string(4000, 'z') + "\n";
  r.Feed(big + "\n", &out);
  r.Feed(kRequest, &out);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_TRUE(out[0].malformed);
  EXPECT_TRUE(out[1].malformed);
  EXPECT_TRUE(out[2].malformed) << "over kMaxRequest";
  EXPECT_FALSE(out[3].malformed);
  EXPECT_LE(r.pending(), PolicyReader::kMaxLine);
}

TEST(PolicyReader, CrlfLineEndsMakeTheSameRequest) {
  std::string crlf;
  for (char c : std::string(kRequest)) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  PolicyReader r;
  std::vector<PolicyRequest> out;
  r.Feed(crlf, &out);
  r.Feed(kRequest, &out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_FALSE(out[0].malformed);
  EXPECT_TRUE(out[0].crlf);
  EXPECT_FALSE(out[1].crlf);
  EXPECT_EQ(out[0].attributes, out[1].attributes);
  EXPECT_EQ(PolicyAnswer(out[0], Table(), {"450 4.7.1 x", "550 5.7.1 y"}), "action=550 5.7.1 y");
}

// Many lines within the line and attribute caps still make a bounded request.
TEST(PolicyReader, ARequestIsBoundedAsAWhole) {
  PolicyReader r;
  std::vector<PolicyRequest> out;
  std::string big;
  for (int i = 0; i < 100; ++i)
    big += "a" + std::to_string(i) + "=" + std::string(1000, 'v') + "\n";
  r.Feed(big + "\n", &out);
  r.Feed(kRequest, &out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out[0].malformed) << "100 KB of attributes kept";
  EXPECT_TRUE(out[0].attributes.empty());
  EXPECT_FALSE(out[1].malformed);
}

TEST(PolicyAnswer, BlocksOnlyWhatTheTableHolds) {
  const PolicyTable t = Table();
  const std::string reply = "450 4.7.1 Service unavailable: backscatter";
  auto answer = [&](const std::string& client) {
    PolicyRequest q;
    q.attributes = {{"request", "smtpd_access_policy"}, {"client_address", client}};
    return PolicyAnswer(q, t, {reply, reply});
  };
  EXPECT_EQ(answer("198.51.100.7"), "action=" + reply);
  EXPECT_EQ(answer("203.0.113.200"), "action=" + reply) << "inside a blocked network";
  EXPECT_EQ(answer("2001:db8:0::7"), "action=" + reply) << "IPv6, any spelling";
  EXPECT_EQ(answer("198.51.100.8"), "action=DUNNO");
  EXPECT_EQ(answer("unknown"), "action=DUNNO");
  EXPECT_EQ(answer("198.51.100.7 "), "action=DUNNO") << "not an address: not sure";
  PolicyRequest other;
  other.attributes = {{"request", "something_else"}, {"client_address", "198.51.100.7"}};
  EXPECT_EQ(PolicyAnswer(other, t, {reply, reply}), "action=DUNNO");
  PolicyRequest bad;
  bad.malformed = true;
  EXPECT_EQ(PolicyAnswer(bad, t, {reply, reply}), "action=DUNNO");
}

// RFC 5321 4.5.1: postmaster is to be reachable. A blocked server got 450
// for every recipient, so one blocked by mistake could not report it
// (helper-134 F5). postmaster@ and abuse@ (any domain, any case) pass.
TEST(PolicyAnswer, ABlockedClientStillReachesPostmasterAndAbuse) {
  const PolicyTable t = Table();
  const std::string reply = "450 4.7.1 Service unavailable: backscatter";
  auto answer = [&](const std::string& recipient) {
    PolicyRequest q;
    q.attributes = {{"request", "smtpd_access_policy"},
                    {"protocol_state", "RCPT"},
                    {"client_address", "198.51.100.7"},
                    {"recipient", recipient}};
    return PolicyAnswer(q, t, {reply, reply});
  };
  EXPECT_EQ(answer("postmaster@example.test"), "action=DUNNO");
  EXPECT_EQ(answer("PostMaster@Example.test"), "action=DUNNO");
  EXPECT_EQ(answer("postmaster"), "action=DUNNO") << "RFC 5321: postmaster without a domain";
  EXPECT_EQ(answer("abuse@example.test"), "action=DUNNO");
  EXPECT_EQ(answer("ceo@example.test"), "action=" + reply);
  EXPECT_EQ(answer("postmaster.x@example.test"), "action=" + reply);
  EXPECT_EQ(answer("x@postmaster.example.test"), "action=" + reply);
  EXPECT_EQ(answer(""), "action=" + reply);
}

// A bounce (MAIL FROM:<>) from a blocked client gets the bounce action
// (HOLD by default: kept in Postfix's hold queue). A 450 made its MTA queue
// the notices and send them again as a burst when the block ended, taken for
// a new flood: the period doubled, 1 h ... 64 h from one burst of 300
// (helper-134 F2). The sender is known only from MAIL on: at CONNECT or EHLO
// (smtpd_delay_reject = no) an empty sender is no bounce.
TEST(PolicyAnswer, ABounceFromABlockedClientGetsTheBounceAction) {
  const PolicyTable t = Table();
  const PolicyReplies replies{"450 4.7.1 Service unavailable", "HOLD bounce from a blocked client"};
  auto answer = [&](const std::string& client, const char* state, const char* sender,
                    const std::string& recipient = "ceo@example.test") {
    PolicyRequest q;
    q.attributes = {
        {"request", "smtpd_access_policy"}, {"client_address", client}, {"recipient", recipient}};
    if (state) q.attributes["protocol_state"] = state;
    if (sender) q.attributes["sender"] = sender;
    return PolicyAnswer(q, t, replies);
  };
  const std::string blocked = "198.51.100.7";
  EXPECT_EQ(answer(blocked, "RCPT", ""), "action=HOLD bounce from a blocked client");
  EXPECT_EQ(answer(blocked, "MAIL", ""), "action=HOLD bounce from a blocked client");
  EXPECT_EQ(answer(blocked, "DATA", ""), "action=HOLD bounce from a blocked client");
  EXPECT_EQ(answer(blocked, "END-OF-MESSAGE", ""), "action=HOLD bounce from a blocked client");
  EXPECT_EQ(answer(blocked, "RCPT", "ann@example.org"), "action=450 4.7.1 Service unavailable");
  EXPECT_EQ(answer(blocked, "CONNECT", ""), "action=450 4.7.1 Service unavailable")
      << "no sender yet: not known to be a bounce";
  EXPECT_EQ(answer(blocked, "EHLO", ""), "action=450 4.7.1 Service unavailable");
  EXPECT_EQ(answer(blocked, nullptr, ""), "action=450 4.7.1 Service unavailable");
  EXPECT_EQ(answer(blocked, "RCPT", nullptr), "action=450 4.7.1 Service unavailable");
  EXPECT_EQ(answer(blocked, "RCPT", "", "postmaster@example.test"), "action=DUNNO");
  EXPECT_EQ(answer("198.51.100.8", "RCPT", ""), "action=DUNNO") << "not blocked";
}

TEST(PolicyReply, OnlyRealActionsFromTheConfiguration) {
  for (const char* ok : {"450 4.7.1 try later", "550 5.7.1 go away", "DEFER_IF_PERMIT busy",
                         "REJECT", "DEFER later"})
    EXPECT_TRUE(ValidPolicyReply(ok)) << ok;
  for (const char* bad :
       {"", "OK", "250 fine", "450", "450 text\nDUNNO", "REJECTED", "PREPEND X-Header: y", "DUNNO"})
    EXPECT_FALSE(ValidPolicyReply(bad)) << bad;
  // An enhanced status code of another class than the reply's.
  EXPECT_FALSE(ValidPolicyReply("550 4.7.1 go away"));
  EXPECT_FALSE(ValidPolicyReply("450 5.7.1 go away"));
  EXPECT_FALSE(ValidPolicyReply("HOLD")) << "not for every client: only for bounces";
  for (const char* ok : {"HOLD", "HOLD bounce held", "DISCARD", "DISCARD x", "450 4.7.1 later",
                         "550 5.7.1 no", "REJECT"})
    EXPECT_TRUE(ValidBounceAction(ok)) << ok;
  for (const char* bad : {"HOLDING", "HOLD x\nDUNNO", "DUNNO", "OK", "250 ok", "PREPEND x: y",
                          "FILTER smtp:x", "REDIRECT a@b", "550 4.7.1 no"})
    EXPECT_FALSE(ValidBounceAction(bad)) << bad;
}

}  // namespace
}  // namespace mailtrail
