// HeadBoundedServer (agent/web/bounded_server.h) on loopback, with real
// connections: slow readers, and what it refuses before the library reads.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "agent/web/bounded_server.h"

namespace mailtrail::web {
namespace {

constexpr size_t kBig = 64u << 20;

// A connection from `from` to 127.0.0.1:`port` that takes little at a time
// (a small receive buffer) and has sent `request`; -1 on failure.
int Connect(const char* from, int port, const std::string& request, int rcvbuf) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  if (rcvbuf > 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  timeval guard{120, 0};  // against a hang only: nothing here is timed
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &guard, sizeof guard);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  ::inet_pton(AF_INET, from, &a.sin_addr);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0 ||
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != ssize_t(request.size())) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Everything the server sends until it closes (or the guard).
size_t ReadAll(int fd, std::string* start = nullptr) {
  std::vector<char> buf(1 << 16);
  size_t total = 0;
  for (;;) {
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n <= 0) break;
    if (start && start->size() < 64) start->append(buf.data(), std::min<size_t>(n, 64));
    total += static_cast<size_t>(n);
  }
  return total;
}

// GET /big: kBig bytes, made as they are sent.
void ServeBig(HeadBoundedServer* server) {
  server->Get("/big", [](const httplib::Request&, httplib::Response& res) {
    res.set_content_provider(kBig, "text/plain",
                             [](size_t, size_t length, httplib::DataSink& sink) {
                               static const std::string chunk(1 << 16, 'x');
                               sink.write(chunk.data(), std::min(length, chunk.size()));
                               return true;
                             });
  });
}

// A client that reads its answer slowly holds a worker as long as the answer
// lasts: beyond its share of slow connections it is cut, so that other
// clients still find workers (helper-151: eight clients of one address
// reading 4 KB every 5 s held every worker for a minute). A 64 MiB answer.
TEST(SlowReaders, BeyondItsShareASlowReaderIsCutAndOthersAreAnswered) {
  HeadLimits limits;
  limits.write_s = 600;  // a write could wait this long: only the share cuts
  limits.slow_per_client = 2;
  limits.slow_in_all = 3;
  HeadBoundedServer server(limits, nullptr);
  server.new_task_queue = [] { return NewBoundedPool(4, 16); };
  ServeBig(&server);
  server.Get("/small", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread loop([&] { server.listen_after_bind(); });
  std::vector<int> slow;
  for (int i = 0; i < 4; ++i) {  // as many as the workers, from one address
    const int fd = Connect("127.0.0.1", port, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n", 4096);
    ASSERT_GE(fd, 0);
    slow.push_back(fd);
  }
  // Another client: answered although four slow readers asked first.
  const int other = Connect("127.0.0.2", port, "GET /small HTTP/1.1\r\nHost: x\r\n\r\n", 0);
  ASSERT_GE(other, 0);
  std::string answer;
  ReadAll(other, &answer);
  ::close(other);
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
  // Two slow readers were kept, and get their whole answer; two were cut.
  int whole = 0, cut = 0;
  for (int fd : slow) {
    (ReadAll(fd) > kBig ? whole : cut) += 1;
    ::close(fd);
  }
  EXPECT_EQ(whole, 2);
  EXPECT_EQ(cut, 2);
  server.stop();
  loop.join();
}

// A browser's idle spare connections (slow heads, once their grace is over)
// must not cut its export: slow readers have a share of their own (helper-153
// F3: two idle connections of one address, or six of others, cut a 14.8 MB
// export at once once it paused).
TEST(SlowReaders, IdleConnectionsDoNotCutAnExport) {
  HeadLimits limits;
  limits.read_s = 120;                          // the idle ones stay counted while the export runs
  limits.grace_when_full_ms = limits.grace_ms;  // the reader's head has its grace
  limits.slow_reader_ms = 1;                    // a write that waits at all is a slow reader's
  limits.slow_per_client = 2;
  HeadBoundedServer server(limits, nullptr);
  server.new_task_queue = [] { return NewBoundedPool(6, 16); };
  ServeBig(&server);
  const int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread loop([&] { server.listen_after_bind(); });
  // Three idle connections: once two are counted the address's share of
  // slow heads is full, and the third is closed without an answer.
  std::vector<pollfd> idle;
  for (int i = 0; i < 3; ++i) {
    const int fd = Connect("127.0.0.1", port, "", 0);
    ASSERT_GE(fd, 0);
    idle.push_back({fd, POLLIN, 0});
  }
  ASSERT_EQ(::poll(idle.data(), idle.size(), 120000), 1) << "one closed (a guard, not a time)";
  const int reader = Connect("127.0.0.1", port, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n", 4096);
  ASSERT_GE(reader, 0);
  EXPECT_GT(ReadAll(reader), kBig) << "the export is whole";
  ::close(reader);
  for (const pollfd& p : idle) ::close(p.fd);
  server.stop();
  loop.join();
}

// cpp-httplib percent-decodes header values: a trusted proxy's user header
// "p%6Fp" named the operator "pop" (helper-151). Such a head is refused.
TEST(ProxyHeader, AnEscapeInTheProxysUserHeaderIsRefused) {
  ProxyAuth proxy;
  proxy.header = "X-Remote-User";
  proxy.trusted = {*Cidr::Parse("127.0.0.2/32")};
  HeadBoundedServer server(HeadLimits{}, &proxy);
  server.new_task_queue = [] { return NewBoundedPool(2, 4); };
  server.Get("/who", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content("user=" + req.get_header_value("X-Remote-User"), "text/plain");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread loop([&] { server.listen_after_bind(); });
  auto ask = [&](const char* from, const std::string& user) {
    const int fd = Connect(
        from, port, "GET /who HTTP/1.1\r\nHost: x\r\nx-remote-user: " + user + "\r\n\r\n", 0);
    std::string answer;
    if (fd >= 0) {
      std::vector<char> buf(4096);
      ssize_t n;
      while ((n = ::recv(fd, buf.data(), buf.size(), 0)) > 0) answer.append(buf.data(), n);
      ::close(fd);
    }
    return answer;
  };
  EXPECT_EQ(ask("127.0.0.2", "p%6Fp").rfind("HTTP/1.1 400", 0), 0u);
  const std::string plain = ask("127.0.0.2", "alice");
  EXPECT_EQ(plain.rfind("HTTP/1.1 200", 0), 0u) << plain;
  EXPECT_NE(plain.find("user=alice"), std::string::npos) << plain;
  // Not from the proxy: the header names nobody there, the request goes on.
  EXPECT_EQ(ask("127.0.0.3", "p%6Fp").rfind("HTTP/1.1 200", 0), 0u);
  server.stop();
  loop.join();
}

}  // namespace
}  // namespace mailtrail::web
