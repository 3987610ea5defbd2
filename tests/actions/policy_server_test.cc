// The policy service on a real Unix socket (and loopback TCP): many concurrent
// connections, many requests per connection, split writes; answers follow the
// table swapped in.
#include "actions/policy/policy_server.h"

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <fstream>
#include <mutex>
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

// A TCP connection to the loopback listener (from 127.0.0.`from_last` when
// that is not 0). Answers are waited for at most 5 s: a closed or starved
// connection fails, never hangs.
int ConnectTcp(int port, bool v6, int from_last = 0) {
  const int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
  const timeval wait{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  int rc = 0;
  if (from_last != 0) {
    sockaddr_in from{};
    from.sin_family = AF_INET;
    from.sin_addr.s_addr = htonl((127u << 24) | static_cast<uint32_t>(from_last));
    rc = bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from);
  }
  if (rc == 0 && v6) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(static_cast<uint16_t>(port));
    a.sin6_addr = in6addr_loopback;
    rc = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  } else if (rc == 0) {
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
// A second agent started on the same socket path: it fails, and the first
// goes on serving (helper-149 F2: the second unlinked the socket at its
// start, and smtpd's requests met no policy service at all, unsaid). A
// socket a crash left behind is taken over; a file that is no socket is not
// removed; a stopped server removes only the socket file it made.
TEST(PolicyServer, ASecondServerDoesNotTakeALiveSocket) {
  TempDir dir("mt_policy");
  PolicyServer::Options o;
  o.socket_path = dir.File("p.sock");
  o.socket_group = "";
  auto first = PolicyServer::Start(o);
  ASSERT_TRUE(first.ok()) << first.status().message();
  (*first)->SetTable(PolicyTable{{"198.51.100.7"}, {}});
  auto second = PolicyServer::Start(o);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("another process serves it"), std::string::npos)
      << second.status().message();
  const int fd = Connect(o.socket_path);
  ASSERT_GE(fd, 0) << "the first one's socket is still there";
  EXPECT_NE(Ask(fd, "198.51.100.7").find("action=450"), std::string::npos);
  close(fd);
  // Its socket file replaced meanwhile (removed by hand, another process
  // listening there now, maybe on the same inode number): the first one's
  // stop leaves it.
  ASSERT_EQ(unlink(o.socket_path.c_str()), 0);
  // The other listener says it listens on a pipe: no clock involved.
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t other = fork();
  if (other == 0) {
    close(ready[0]);
    dup2(ready[1], 1);
    const char* script =
        "import socket,sys,time\n"
        "s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(5)\n"
        "print('ready', flush=True); time.sleep(60)\n";
    execl("/usr/bin/python3", "python3", "-c", script, o.socket_path.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  ASSERT_GT(other, 0);
  close(ready[1]);
  char said[8] = {};
  ASSERT_GT(read(ready[0], said, sizeof said - 1), 0) << "the other listener did not start";
  close(ready[0]);
  first->reset();
  const int fd3 = Connect(o.socket_path);
  EXPECT_GE(fd3, 0) << "the first one's stop removed another's socket";
  if (fd3 >= 0) close(fd3);
  kill(other, SIGKILL);
  waitpid(other, nullptr, 0);
  ASSERT_EQ(unlink(o.socket_path.c_str()), 0);
  auto third = PolicyServer::Start(o);
  ASSERT_TRUE(third.ok()) << third.status().message();
  third->reset();
  EXPECT_NE(access(o.socket_path.c_str(), F_OK), 0) << "its own socket goes with it";
  // Left by a crash: a socket no one listens on is taken over.
  const int stale = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::snprintf(a.sun_path, sizeof a.sun_path, "%s", o.socket_path.c_str());
  ASSERT_EQ(bind(stale, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  close(stale);
  auto after_crash = PolicyServer::Start(o);
  ASSERT_TRUE(after_crash.ok()) << after_crash.status().message();
  after_crash->reset();
  // Not a socket: not ours to remove.
  std::ofstream(o.socket_path) << "an admin's file\n";
  auto onto_file = PolicyServer::Start(o);
  ASSERT_FALSE(onto_file.ok());
  EXPECT_NE(onto_file.status().message().find("no socket"), std::string::npos);
  std::ifstream in(o.socket_path);
  std::string kept;
  std::getline(in, kept);
  EXPECT_EQ(kept, "an admin's file");
}

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

// Any local user reaches the TCP listener, from 127.0.0.2, 127.0.0.3, ...:
// each address was a peer with a limit of its own, and at the total the
// oldest connection of anyone was closed, Postfix's on the Unix socket
// (helper-136 F2). Every TCP connection is one peer (the listener is on
// loopback: all are this host's), and at the total the peer holding the most
// connections gives one up.
TEST(PolicyServer, LoopbackTcpIsOnePeerAndTheBusiestPeerMakesRoom) {
  TempDir dir("mt_policy");
  PolicyServer::Options o;
  o.socket_path = dir.File("p.sock");
  o.tcp_listen = "127.0.0.1:0";
  o.max_connections = 8;
  o.max_connections_per_peer = 6;
  auto s = PolicyServer::Start(o);
  ASSERT_TRUE(s.ok()) << s.status().message();
  const int postfix = Connect(o.socket_path);  // the least recently active from here on
  ASSERT_GE(postfix, 0);
  const timeval wait{5, 0};
  setsockopt(postfix, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  ASSERT_EQ(Ask(postfix, "192.0.2.1"), "action=DUNNO\n\n");
  std::vector<int> fds;
  for (int i = 0; i < 20; ++i) {
    const int fd = ConnectTcp((*s)->tcp_port(), false, 2 + i);
    ASSERT_GE(fd, 0) << i;
    fds.push_back(fd);
  }
  // The last one is answered (and so every connection before it accepted).
  EXPECT_EQ(Ask(fds.back(), "192.0.2.1"), "action=DUNNO\n\n");
  EXPECT_LE((*s)->connections(), 1u + o.max_connections_per_peer)
      << "20 loopback sources are one peer";
  // Two more of Postfix's: the second reaches the total, and the busiest
  // peer (loopback TCP, 6) gives one up, not the oldest of anyone.
  fds.push_back(Connect(o.socket_path));
  fds.push_back(Connect(o.socket_path));
  EXPECT_EQ(Ask(fds.back(), "192.0.2.1"), "action=DUNNO\n\n");
  EXPECT_LE((*s)->connections(), o.max_connections);
  EXPECT_EQ(Ask(postfix, "192.0.2.1"), "action=DUNNO\n\n") << "Postfix's connection was kept";
  close(postfix);
  for (int fd : fds) close(fd);
}

// Hundreds of connections pipelining requests made smtpd's answers wait
// (helper-136 F1: 1.7 s, some over its 2 s timeout): libuv reads a connection
// up to 32 times (128 KiB of requests) before the next. Each connection now
// gets one read per turn of the loop. Counted, not timed: how many of the
// flooders' requests are answered between smtpd's request and its answer.
TEST(PolicyServer, PipeliningConnectionsCannotHoldBackAnothersRequest) {
  signal(SIGPIPE, SIG_IGN);  // as the agent (run_loop.cc): flooders close with answers due
  TempDir dir("mt_policy");
  PolicyServer::Options o;
  o.socket_path = dir.File("p.sock");
  auto s = PolicyServer::Start(o);
  ASSERT_TRUE(s.ok()) << s.status().message();
  const int postfix = Connect(o.socket_path);
  ASSERT_GE(postfix, 0);
  ASSERT_EQ(Ask(postfix, "192.0.2.1"), "action=DUNNO\n\n");
  constexpr int kFlooders = 40;
  std::string burst;
  while (burst.size() < (256u << 10))
    burst += "request=smtpd_access_policy\nclient_address=192.0.2.9\n\n";
  std::atomic<bool> stop{false};
  std::atomic<size_t> answered{0};
  constexpr size_t kSteady = 100000;  // answers before smtpd asks: the flood is on
  std::mutex mu;
  std::condition_variable steady;
  std::vector<std::thread> flooders;
  for (int i = 0; i < kFlooders; ++i) {
    const int fd = Connect(o.socket_path);
    ASSERT_GE(fd, 0);
    flooders.emplace_back([&, fd] {
      // Keeps requests waiting in the socket and reads what is answered.
      char buf[65536];
      size_t off = 0;
      while (!stop) {
        const ssize_t n = send(fd, burst.data() + off, burst.size() - off, MSG_DONTWAIT);
        if (n > 0) off = (off + static_cast<size_t>(n)) % burst.size();
        ssize_t got;
        while ((got = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0) {
          size_t k = 0;
          for (ssize_t j = 0; j < got; ++j) k += buf[j] == '=';  // one per "action=..."
          const size_t total = answered += k;                    // one thread crosses kSteady
          if (total >= kSteady && total - k < kSteady) {
            std::lock_guard<std::mutex> lock(mu);
            steady.notify_all();
          }
        }
        if (n <= 0 && got <= 0) {
          pollfd p{fd, POLLIN | POLLOUT, 0};
          poll(&p, 1, 100);
        }
      }
      close(fd);
    });
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    steady.wait(lock, [&] { return answered >= kSteady; });
  }
  // The fewest of five rounds: a flooder thread the machine held back reads
  // a backlog of answers at once, in one round, not in every one.
  size_t fewest = SIZE_MAX, most = 0;
  for (int round = 0; round < 5; ++round) {
    const size_t before = answered;
    EXPECT_EQ(Ask(postfix, "192.0.2.1"), "action=DUNNO\n\n");
    fewest = std::min(fewest, answered - before);
    most = std::max(most, answered - before);
  }
  stop = true;
  for (auto& t : flooders) t.join();
  std::printf("%zu to %zu of the flooders' requests answered while smtpd waited\n", fewest, most);
  // One read each is at most about 75 requests, 3,000 a turn for 40: a few
  // turns' worth; unshared, a turn was up to 2,300 each, 92,000.
  EXPECT_LT(fewest, 30000u);
  close(postfix);
}

// Resident memory of this process (the server runs in it), in KiB.
long RssKib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return -1;
}

// A client that pipelines requests and never reads the answers: unbounded,
// the server queued about 4.7 bytes of answer per byte sent ("x\n\n" is a
// 3-byte request answered by the 14 bytes "action=DUNNO\n\n"), ~93 MiB for
// the 20 MiB sent here. Bounded, the server stops reading from it once 64 KiB
// of answers wait, the client's writes stall, and the peer is dropped when it
// has been idle for the idle timeout.
TEST(PolicyServer, APeerThatNeverReadsCannotGrowTheServer) {
  TempDir dir("mt_policy");
  PolicyServer::Options o;
  o.socket_path = dir.File("p.sock");
  o.idle_timeout_ms = 500;
  auto s = PolicyServer::Start(o);
  ASSERT_TRUE(s.ok()) << s.status().message();
  const long before = RssKib();
  const int fd = Connect(o.socket_path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
  std::string chunk;
  while (chunk.size() < 65536) chunk += "x\n\n";
  size_t sent = 0;
  constexpr size_t kTotal = 20u << 20;
  while (sent < kTotal) {
    const ssize_t n = write(fd, chunk.data(), chunk.size());
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN) break;  // dropped by the server
    // The server takes nothing more for 2 s: it has stopped reading.
    pollfd p{fd, POLLOUT, 0};
    if (poll(&p, 1, 2000) <= 0 || (p.revents & (POLLERR | POLLHUP))) break;
  }
  const long grown = RssKib() - before;
  std::printf("sent %zu KiB without reading; the server grew by %ld KiB\n", sent >> 10, grown);
  EXPECT_LT(sent, kTotal) << "the server never stopped reading";
  EXPECT_LT(grown, 16 * 1024) << "got " << grown << " KiB, want < 16 MiB";
  // The peer is dropped (idle: it neither reads nor lets the server write):
  // the client sees its connection closed (a reset, as the server drops what
  // it had not read, or an end), its answers still unread; the server counts
  // it gone before it closes. (60 s only guard against a hang.)
  pollfd closed{fd, POLLRDHUP, 0};
  EXPECT_EQ(poll(&closed, 1, 60000), 1) << "the idle peer was not dropped";
  EXPECT_EQ((*s)->connections(), 0u) << (*s)->connections() << " connection(s) still open";
  close(fd);
  // And the service goes on.
  const int fresh = Connect(o.socket_path);
  ASSERT_GE(fresh, 0);
  EXPECT_EQ(Ask(fresh, "192.0.2.1"), "action=DUNNO\n\n");
  close(fresh);
}

// 5,000 connections held open (each idle, half of them in the middle of a
// request) do not stop a fresh request from being answered: at a limit the
// least recently active connection makes room (Postfix's policy client
// reconnects when it finds its connection closed).
TEST(PolicyServer, AHeldFloodOfConnectionsDoesNotStopAFreshRequest) {
  TempDir dir("mt_policy");
  PolicyServer::Options o;
  o.socket_path = dir.File("p.sock");
  auto s = PolicyServer::Start(o);
  ASSERT_TRUE(s.ok()) << s.status().message();
  PolicyTable t;
  t.ips = {"198.51.100.7"};
  (*s)->SetTable(t);
  std::vector<int> held;
  for (int i = 0; i < 5000; ++i) {
    const int fd = Connect(o.socket_path);
    if (fd < 0) break;
    if (i % 2 && write(fd, "request=smtpd_access_policy\n", 28) != 28) break;
    held.push_back(fd);
  }
  EXPECT_EQ(held.size(), 5000u);
  const int fresh = Connect(o.socket_path);
  ASSERT_GE(fresh, 0);
  EXPECT_EQ(Ask(fresh, "198.51.100.7"), "action=" + o.reply + "\n\n");
  EXPECT_LE((*s)->connections(), o.max_connections);
  close(fresh);
  for (int fd : held) close(fd);
}

TEST(PolicyServer, AnIdleConnectionIsClosed) {
  TempDir dir("mt_policy");
  PolicyServer::Options o;
  o.socket_path = dir.File("p.sock");
  o.idle_timeout_ms = 200;
  auto s = PolicyServer::Start(o);
  ASSERT_TRUE(s.ok()) << s.status().message();
  const int fd = Connect(o.socket_path);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(Ask(fd, "192.0.2.1"), "action=DUNNO\n\n");
  timeval guard{60, 0};  // against a hang only
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &guard, sizeof guard);
  char c;
  EXPECT_EQ(read(fd, &c, 1), 0) << "want end of file: the server closed the idle connection";
  close(fd);
}

TEST(PolicyServer, ARequestWithCrlfLineEndsIsAnswered) {
  TempDir dir("mt_policy");
  PolicyServer::Options o;
  o.socket_path = dir.File("p.sock");
  auto s = PolicyServer::Start(o);
  ASSERT_TRUE(s.ok()) << s.status().message();
  PolicyTable t;
  t.ips = {"198.51.100.7"};
  (*s)->SetTable(t);
  const int fd = Connect(o.socket_path);
  ASSERT_GE(fd, 0);
  const std::string q =
      "request=smtpd_access_policy\r\nprotocol_state=RCPT\r\nclient_address=198.51.100.7\r\n\r\n";
  ASSERT_EQ(write(fd, q.data(), q.size()), static_cast<ssize_t>(q.size()));
  const std::string want = "action=" + o.reply + "\r\n\r\n";
  std::string got(want.size(), '\0');
  timeval guard{60, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &guard, sizeof guard);
  size_t have = 0;
  while (have < want.size()) {
    const ssize_t n = read(fd, got.data() + have, want.size() - have);
    if (n <= 0) break;
    have += static_cast<size_t>(n);
  }
  EXPECT_EQ(got.substr(0, have), want);
  close(fd);
}

// The socket is for Postfix only: mode 0660 and group postfix (when that
// group exists), never 0666.
TEST(PolicyServer, TheSocketIsForPostfixOnly) {
  TempDir dir("mt_policy");
  PolicyServer::Options o;
  o.socket_path = dir.File("p.sock");
  auto s = PolicyServer::Start(o);
  ASSERT_TRUE(s.ok()) << s.status().message();
  struct stat st;
  ASSERT_EQ(stat(o.socket_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0660u);
  if (const group* g = getgrnam("postfix"); g != nullptr && getuid() == 0) {
    EXPECT_EQ(st.st_gid, g->gr_gid);
  }
  s->reset();
  o.socket_mode = 0600;
  o.socket_group = "";
  auto s2 = PolicyServer::Start(o);
  ASSERT_TRUE(s2.ok()) << s2.status().message();
  ASSERT_EQ(stat(o.socket_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  s2->reset();
  o.socket_group = "no-such-group-here";
  o.socket_group_required = true;
  EXPECT_FALSE(PolicyServer::Start(o).ok()) << "a group asked for that does not exist";
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
