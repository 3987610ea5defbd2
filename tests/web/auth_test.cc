// Authentication: Basic and bearer credentials against crypt(3) hashes (real
// libcrypt, hashes made by mkpasswd), roles, and malformed input.
#include "agent/web/auth.h"

#include <gtest/gtest.h>

#include "tests/support/fake_clock.h"

namespace mailtrail::web {
namespace {

// mkpasswd -m yescrypt pw-alice; mkpasswd -m bcrypt tok-secret
const std::string kFile =
    "# users\n"
    "basic:alice:operator:$y$j9T$ennX4p2ZV76tVKC6dbVaO0$Wtvke05/Mh7AucxeHs7Q74Yxl/"
    "x89VX6l8Nucwx8Av9\n"
    "token:ci:viewer:$2b$05$p9xLjke0NhHps8stK2Yqge/vRZ4b8E1Uqp/DJ/D/CR.lRoSARpk0K\n";

std::string Basic(const std::string& user_pass) {
  static constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < user_pass.size(); i += 3) {
    const uint32_t n = (uint8_t(user_pass[i]) << 16) | (uint8_t(user_pass[i + 1]) << 8) |
                       uint8_t(user_pass[i + 2]);
    for (int k = 18; k >= 0; k -= 6) out.push_back(kB64[(n >> k) & 63]);
  }
  if (i + 1 == user_pass.size()) {
    const uint32_t n = uint8_t(user_pass[i]) << 16;
    out += std::string{kB64[n >> 18], kB64[(n >> 12) & 63], '=', '='};
  } else if (i + 2 == user_pass.size()) {
    const uint32_t n = (uint8_t(user_pass[i]) << 16) | (uint8_t(user_pass[i + 1]) << 8);
    out += std::string{kB64[n >> 18], kB64[(n >> 12) & 63], kB64[(n >> 6) & 63], '='};
  }
  return "Basic " + out;
}

TEST(Authenticator, BasicAndBearerCredentialsGiveTheirRoles) {
  auto a = Authenticator::Parse(kFile, "users");
  ASSERT_TRUE(a.ok()) << a.status().message();
  FakeClock clock;
  auto alice = a->Check(Basic("alice:pw-alice"), clock);
  ASSERT_TRUE(alice.has_value());
  EXPECT_EQ(alice->name, "alice");
  EXPECT_EQ(alice->role, Role::kOperator);
  auto ci = a->Check("Bearer ci.tok-secret", clock);
  ASSERT_TRUE(ci.has_value());
  EXPECT_EQ(ci->role, Role::kViewer);
}

TEST(Authenticator, WrongOrMalformedCredentialsAreRefused) {
  auto a = Authenticator::Parse(kFile, "users");
  ASSERT_TRUE(a.ok());
  FakeClock clock;
  for (const std::string& h :
       {Basic("alice:pw-alicf"), Basic("alice:"), Basic("bob:pw-alice"), Basic("alicepw"),
        std::string("Basic !!!!"), std::string("Basic YWxpY2U6cHctYWxpY2U"),  // no padding
        std::string("Bearer ci.tok-secreT"), std::string("Bearer alice.pw-alice"),
        std::string("Bearer tok-secret"), std::string("Digest x"), std::string("")})
    EXPECT_FALSE(a->Check(h, clock).has_value()) << h;
}

// An unknown name costs what a known one does: it is checked against a hash
// of the file's, of the same kind (a fixed yescrypt dummy told the names of
// a file of bcrypt users by the time they took: helper-77).
TEST(Authenticator, AnUnknownNameCostsAHashOfTheFile) {
  auto a = Authenticator::Parse(kFile, "users");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->UnknownNameHash(false).rfind("$y$", 0), 0u) << "basic: alice's yescrypt";
  EXPECT_EQ(a->UnknownNameHash(true).rfind("$2", 0), 0u) << "token: ci's bcrypt";
  FakeClock clock;
  EXPECT_FALSE(a->Check(Basic("nobody:pw-alice"), clock).has_value())
      << "alice's secret under another name";
}

// crypt(3) reads a C string: "pw-alice\0anything" was checked as "pw-alice"
// and let in. A secret or name holding NUL is refused.
TEST(Authenticator, ASecretWithANulIsRefused) {
  auto a = Authenticator::Parse(kFile, "users");
  ASSERT_TRUE(a.ok());
  FakeClock clock;
  EXPECT_FALSE(a->Check(Basic(std::string("alice:pw-alice\0xyz", 18)), clock).has_value());
  EXPECT_FALSE(a->Check(std::string("Bearer ci.tok-secret\0x", 22), clock).has_value());
  EXPECT_TRUE(a->Check(Basic("alice:pw-alice"), clock).has_value()) << "the right one still is";
  EXPECT_FALSE(a->Check(Basic(std::string("alice:pw-alice\0xyz", 18)), clock).has_value())
      << "nor once the right one is remembered";
}

TEST(Authenticator, RememberedCredentialsStillNeedTheRightSecret) {
  auto a = Authenticator::Parse(kFile, "users");
  ASSERT_TRUE(a.ok());
  FakeClock clock;
  ASSERT_TRUE(a->Check(Basic("alice:pw-alice"), clock).has_value());
  EXPECT_TRUE(a->Check(Basic("alice:pw-alice"), clock).has_value());
  EXPECT_FALSE(a->Check(Basic("alice:pw-alicex"), clock).has_value());
}

// What an address locked out for wrong credentials still lets through: a
// credential verified within kRememberSeconds, without a hash.
TEST(Authenticator, RememberedOnlyComputesNoHash) {
  auto a = Authenticator::Parse(kFile, "users");
  ASSERT_TRUE(a.ok());
  FakeClock clock;
  EXPECT_FALSE(a->Check(Basic("alice:pw-alice"), clock, /*remembered_only=*/true).has_value())
      << "not verified yet";
  ASSERT_TRUE(a->Check(Basic("alice:pw-alice"), clock).has_value());
  EXPECT_TRUE(a->Check(Basic("alice:pw-alice"), clock, true).has_value());
  EXPECT_FALSE(a->Check(Basic("alice:pw-alicex"), clock, true).has_value());
  // Each use keeps it remembered: a user behind an address locked out for a
  // stranger's guesses was shut out 5 minutes on (helper-153 F2).
  for (int i = 0; i < 5; ++i) {
    clock.Advance((Authenticator::kRememberSeconds - 1) * kUsPerSecond);
    EXPECT_TRUE(a->Check(Basic("alice:pw-alice"), clock, true).has_value()) << i;
  }
  clock.Advance((Authenticator::kRememberSeconds + 1) * kUsPerSecond);
  EXPECT_FALSE(a->Check(Basic("alice:pw-alice"), clock, true).has_value()) << "forgotten unused";
}

TEST(Authenticator, FileErrorsNameTheLine) {
  struct Case {
    std::string text, want;
  } cases[] = {
      {"basic:alice:admin:$y$j9T$abcdefghijklmnopqrstuvwxyz\n", "users:1: the role"},
      {"# c\nuser:alice:viewer:$y$j9T$abcdefghijklmnopqrstuvwxyz\n", "users:2: the kind"},
      {"basic:alice:viewer:plaintext-password\n", "users:1: not a crypt(3) hash"},
      {"basic:alice:viewer\n", "users:1: want"},
      {"basic:a.b:viewer:$y$j9T$abcdefghijklmnopqrstuvwxyz\n", "users:1: a name"},
      {"# nothing\n", "users: no entries"},
  };
  for (const Case& c : cases) {
    auto a = Authenticator::Parse(c.text, "users");
    ASSERT_FALSE(a.ok()) << c.text;
    EXPECT_NE(a.status().message().find(c.want), std::string::npos)
        << "got " << a.status().message() << ", want " << c.want;
  }
}

// Every hash is computed once at load: one crypt(3) fails on at once made
// its name (and unknown names checked against it) answer faster, and let no
// one in (helper-78).
TEST(Authenticator, UnusableHashesAreRefusedAtLoad) {
  const std::string alice =
      "basic:alice:operator:$y$j9T$ennX4p2ZV76tVKC6dbVaO0$Wtvke05/Mh7AucxeHs7Q74Yxl/"
      "x89VX6l8Nucwx8Av9\n";
  for (const std::string bad : {
           "$9$abcdefghijklmnopqrstuvwxyz",                                   // no such method
           "$y$j9T$ennX4p2ZV76tVKC6dbVaO0$Wtvke05/Mh7AucxeHs7Q74Yxl",         // cut short
           "$y$!!!$ennX4p2ZV76tVKC6dbVaO0$Wtvke05/Mh7AucxeHs7Q74Yxl/x89V",    // damaged setting
           "$2b$05$p9xLjke0NhHps8stK2Yqge/vRZ4b8E1Uqp/DJ/D/CR.lRoSARpk0Kxx",  // too long
       }) {
    auto a = Authenticator::Parse(alice + "basic:bob:viewer:" + bad + "\n", "users");
    ASSERT_FALSE(a.ok()) << bad;
    EXPECT_EQ(a.status().message().rfind("users:2: ", 0), 0u) << a.status().message();
  }
  auto good = Authenticator::Parse(kFile, "users");
  ASSERT_TRUE(good.ok()) << good.status().message();
  EXPECT_TRUE(good->warnings().empty()) << good->warnings().front();
}

// A wrong name costs the kind's first hash: users whose hashes cost another
// time are told from it. Load says so; alike hashes (and the other kind's)
// say nothing.
TEST(Authenticator, HashesOfOneKindThatDifferInCostAreWarned) {
  const std::string alice =
      "basic:alice:operator:$y$j9T$ennX4p2ZV76tVKC6dbVaO0$Wtvke05/Mh7AucxeHs7Q74Yxl/"
      "x89VX6l8Nucwx8Av9\n";
  const std::string bob =  // mkpasswd -m yescrypt pw-bob
      "basic:bob:viewer:$y$j9T$68F3Cu2NzZBINxNF8nBOb1$QBhy3z/"
      "Q8IEBjvP9KuXf4PX73avrvqzf64zMUpcKMcD\n";
  const std::string carl =  // mkpasswd -m yescrypt -R 7 pw-carl
      "basic:carl:viewer:$y$jBT$2aN3RoUw4NYisAlxfZCnY/"
      "$iIsQ4O76RyDOMQ8aArVzZylzu1fAmH8bwhM3BuqpcED\n";
  const std::string dora =  // mkpasswd -m bcrypt tok-two, as a password
      "basic:dora:viewer:$2b$05$ZFQqAM2ZwQ0JEvv8r8alqeJqV9oUb63TvN76rIQLljSig44.nPmeW\n";
  const std::string token =  // the other kind: bcrypt is its only cost
      "token:ci:viewer:$2b$05$p9xLjke0NhHps8stK2Yqge/vRZ4b8E1Uqp/DJ/D/CR.lRoSARpk0K\n";
  auto alike = Authenticator::Parse(alice + bob + token, "users");
  ASSERT_TRUE(alike.ok()) << alike.status().message();
  EXPECT_TRUE(alike->warnings().empty()) << alike->warnings().front();
  for (const std::string& other : {carl, dora}) {
    auto mixed = Authenticator::Parse(alice + bob + other + token, "users");
    ASSERT_TRUE(mixed.ok()) << mixed.status().message();
    ASSERT_EQ(mixed->warnings().size(), 1u);
    const std::string& w = mixed->warnings()[0];
    EXPECT_NE(w.find("basic hashes differ"), std::string::npos) << w;
    EXPECT_NE(w.find("$y$j9T for alice"), std::string::npos) << w;
    EXPECT_NE(w.find(other == carl ? "$y$jBT for carl" : "$2$05 for dora"), std::string::npos) << w;
  }
}

// Hashes that cost alike are alike, however they are written; scrypt's cost
// is in its setting (every scrypt hash was alike: a cheaper one told its
// name by time, helper-81).
TEST(Authenticator, CostsAreComparedAsCrypt3ComputesThem) {
  auto warnings = [](const std::string& a, const std::string& b) {
    auto x = Authenticator::Parse("basic:a:viewer:" + a + "\nbasic:b:viewer:" + b + "\n", "users");
    EXPECT_TRUE(x.ok()) << x.status().message();
    return x.ok() ? x->warnings().size() : 99;
  };
  // mkpasswd -m scrypt pwA; mkpasswd -m scrypt -R 10 pwB
  const std::string scrypt =
      "$7$CU..../....oxBE2gT/sadXVM0Q6sHr01$iXUD2Q/DYhYfNTPHwGuzWnR9U/0H1Fa2PNlwfqlHTnC";
  const std::string scrypt10 =
      "$7$FU..../..../mp2rGMA9Sfi.LHTy3on//$6PJwTmUSELqu377esXAjQMbw9MeX0.YupILU.K57HZD";
  EXPECT_EQ(warnings(scrypt, scrypt10), 1u);
  // sha512crypt with rounds=5000 written out, and without (its default)
  EXPECT_EQ(
      warnings("$6$rounds=5000$abcdefghijklmnop$brGj7KSLf9OUYP655av.ASD4fvhBqhtNRHSWxzdceXbB/"
               "qlYww08N1OOC3OD3rZp1Xi7yD4MdcUVfR3P0KhWu.",
               "$6$pI.o1nx4PVhu9Y9e$UO4jOcPHr5N8u5KVpLLe9a/kPzcKFeU5/5TaGqHqWwUNUM9hF8GpPbwieayZrFy"
               "ZchLP4YQlf6U/ulFwFgYFM/"),
      0u);
  // bcrypt $2a$ and $2b$ at one cost
  EXPECT_EQ(warnings("$2a$05$abcdefghijklmnopqrstuu1CMgw8vvr1L5gi0g2a9L7Mo3nMcsGJ6",
                     "$2b$05$ZFQqAM2ZwQ0JEvv8r8alqeJqV9oUb63TvN76rIQLljSig44.nPmeW"),
            0u);
}

// md5-crypt still checks, but libxcrypt calls it legacy: Load says so, once
// for all such hashes.
TEST(Authenticator, ALegacyMethodIsWarned) {
  auto a = Authenticator::Parse("basic:old:viewer:$1$S4YVgGN/$BBqmdh6tVK1xsP5ScI2Dl/\n", "users");
  ASSERT_TRUE(a.ok()) << a.status().message();
  ASSERT_EQ(a->warnings().size(), 1u);
  EXPECT_NE(a->warnings()[0].find("users: 1 hash(es) of a method no longer thought strong (old)"),
            std::string::npos)
      << a->warnings()[0];
  FakeClock clock;
  EXPECT_TRUE(a->Check(Basic("old:pw"), clock).has_value());
}

TEST(Base64Decode, StrictRfc4648) {
  EXPECT_EQ(Base64Decode("YWJj").value_or("?"), "abc");
  EXPECT_EQ(Base64Decode("YWI=").value_or("?"), "ab");
  EXPECT_EQ(Base64Decode("YQ==").value_or("?"), "a");
  EXPECT_FALSE(Base64Decode("YQ=").has_value());
  EXPECT_FALSE(Base64Decode("Y=Q=").has_value());
  EXPECT_FALSE(Base64Decode("YW J").has_value());
}

}  // namespace
}  // namespace mailtrail::web
