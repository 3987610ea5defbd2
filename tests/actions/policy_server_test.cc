// The policy service on a real Unix socket (and loopback TCP): many concurrent
// connections, many requests per connection, split writes; answers follow the
// table swapped in.
#include "actions/policy/policy_server.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "tests/support/temp_dir.h"

namespace mailtrail {
namespace {

int Connect(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Sends one request (in two writes) and reads its answer up to the empty line.
std::string Ask(int fd, const std::string& client) {
  const std::string q =
      "request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=" + client +
      "\nclient_name=x.test\nrecipient=a@b.test\n\n";
  const size_t half = q.size() / 2;
  if (write(fd, q.data(), half) != static_cast<ssize_t>(half)) return "write failed";
  if (write(fd, q.data() + half, q.size() - half) != static_cast<ssize_t>(q.size() - half))
    return "write failed";
  std::string answer;
  char c;
  while (answer.size() < 2 || answer.substr(answer.size() - 2) != "\n\n") {
    if (read(fd, &c, 1) != 1) return "read failed: " + answer;
    answer.push_back(c);
  }
  return answer;
}

TEST(PolicyServer, AnswersManyConcurrentClients) {
  TempDir dir("mt_policy");
  PolicyServer::Options o;
  o.socket_path = dir.File("policy.sock");
  o.reply = "450 4.7.1 backscatter: try later";
  auto s = PolicyServer::Start(o);
  ASSERT_TRUE(s.ok()) << s.status().message();
  PolicyTable t;
  t.ips = {"198.51.100.7"};
  t.networks = {*Cidr::Parse("2001:db8::/32")};
  (*s)->SetTable(t);
  constexpr int kClients = 100, kRequests = 50;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      const int fd = Connect(o.socket_path);
      if (fd < 0) {
        ++wrong;
        return;
      }
      for (int k = 0; k < kRequests; ++k) {
        const bool blocked = (i + k) % 3 == 0;
        const std::string client =
            blocked ? (k % 2 ? "198.51.100.7" : "2001:db8::1:2") : "192.0.2." + std::to_string(k);
        const std::string want =
            blocked ? "action=450 4.7.1 backscatter: try later\n\n" : "action=DUNNO\n\n";
        if (Ask(fd, client) != want) ++wrong;
      }
      close(fd);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ((*s)->requests(), kClients * kRequests);
  // A new table applies to the next request.
  (*s)->SetTable(PolicyTable{});
  const int fd = Connect(o.socket_path);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(Ask(fd, "198.51.100.7"), "action=DUNNO\n\n");
  // Garbage gets DUNNO, and the connection goes on.
  const std::string junk = std::string(10000, 'x') + "\n\n";
  ASSERT_EQ(write(fd, junk.data(), junk.size()), static_cast<ssize_t>(junk.size()));
  char buf[32] = {};
  ASSERT_EQ(read(fd, buf, 14), 14);
  EXPECT_EQ(std::string(buf, 14), "action=DUNNO\n\n");
  EXPECT_EQ(Ask(fd, "192.0.2.1"), "action=DUNNO\n\n");
  close(fd);
  s->reset();
  EXPECT_LT(Connect(o.socket_path), 0) << "stopped: the socket is gone";
}

int ConnectTcp(int port, bool v6) {
  const int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
  int rc;
  if (v6) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(static_cast<uint16_t>(port));
    a.sin6_addr = in6addr_loopback;
    rc = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    rc = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  if (rc != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// `check_policy_service inet:127.0.0.1:PORT`: the same answers over loopback
// TCP (IPv4 and IPv6), beside the Unix socket; any other address is refused.
TEST(PolicyServer, AnswersOnLoopbackTcp) {
  TempDir dir("mt_policy");
  PolicyServer::Options o;
  o.socket_path = dir.File("p.sock");
  o.tcp_listen = "127.0.0.1:0";
  auto s = PolicyServer::Start(o);
  ASSERT_TRUE(s.ok()) << s.status().message();
  PolicyTable t;
  t.ips = {"198.51.100.7"};
  (*s)->SetTable(t);
  ASSERT_GT((*s)->tcp_port(), 0);
  const int fd = ConnectTcp((*s)->tcp_port(), false);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(Ask(fd, "198.51.100.7"), "action=" + o.reply + "\n\n");
  EXPECT_EQ(Ask(fd, "192.0.2.1"), "action=DUNNO\n\n");
  close(fd);
  const int ux = Connect(o.socket_path);
  ASSERT_GE(ux, 0) << "the Unix socket still serves";
  EXPECT_EQ(Ask(ux, "198.51.100.7"), "action=" + o.reply + "\n\n");
  close(ux);
  s->reset();

  PolicyServer::Options v6;
  v6.tcp_listen = "[::1]:0";
  auto s6 = PolicyServer::Start(v6);
  ASSERT_TRUE(s6.ok()) << s6.status().message();
  const int fd6 = ConnectTcp((*s6)->tcp_port(), true);
  ASSERT_GE(fd6, 0);
  EXPECT_EQ(Ask(fd6, "192.0.2.1"), "action=DUNNO\n\n");
  close(fd6);

  for (const char* bad : {"0.0.0.0:10031", "192.0.2.1:10031", "[::]:10031", "127.0.0.1",
                          "127.0.0.1:99999", "localhost:10031"}) {
    PolicyServer::Options b;
    b.tcp_listen = bad;
    auto r = PolicyServer::Start(b);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("loopback"), std::string::npos) << bad;
  }
}

TEST(PolicyServer, RefusesABadReply) {
  TempDir dir("mt_policy");
  PolicyServer::Options o;
  o.socket_path = dir.File("p.sock");
  o.reply = "OK";
  EXPECT_FALSE(PolicyServer::Start(o).ok());
}

}  // namespace
}  // namespace mailtrail
