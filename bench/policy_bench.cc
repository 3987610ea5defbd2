// policy_bench: latency of the Postfix policy service under load. Starts a
// PolicyServer (in this process, its own thread, a table of BLOCKED addresses),
// opens CONNS Unix-socket connections and sends RATE requests per second in
// all, spread over them, for SECONDS; one request in flight per connection at a
// time, as smtpd does. Latency: from writing a request to reading its answer.
// usage: policy_bench [--conns 100] [--rate 10000] [--seconds 5] [--blocked 10000]
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "actions/policy/policy_server.h"

namespace {
using Clock = std::chrono::steady_clock;

double Micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }
}  // namespace

int main(int argc, char** argv) {
  int conns = 100, rate = 10000, seconds = 5, blocked = 10000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--conns")) conns = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--rate")) rate = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--seconds")) seconds = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--blocked")) blocked = std::atoi(argv[i + 1]);
  }
  char dir[] = "/tmp/mt_policy_bench_XXXXXX";
  if (!mkdtemp(dir)) return 1;
  mailtrail::PolicyServer::Options o;
  o.socket_path = std::string(dir) + "/p.sock";
  auto server = mailtrail::PolicyServer::Start(o);
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().message().c_str());
    return 1;
  }
  mailtrail::PolicyTable table;
  for (int i = 0; i < blocked; ++i)
    table.ips.insert("10." + std::to_string(i >> 16 & 255) + "." + std::to_string(i >> 8 & 255) +
                     "." + std::to_string(i & 255));
  (*server)->SetTable(table);

  struct Conn {
    int fd;
    bool busy = false;
    Clock::time_point sent;
    std::string in;
  };
  std::vector<Conn> cs(static_cast<size_t>(conns));
  for (auto& c : cs) {
    c.fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", o.socket_path.c_str());
    if (connect(c.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return 1;
  }
  std::vector<double> lat;
  lat.reserve(static_cast<size_t>(rate) * seconds);
  const auto start = Clock::now();
  const auto end = start + std::chrono::seconds(seconds);
  long sent = 0, skipped = 0;
  size_t next = 0;
  std::vector<pollfd> pfds(cs.size());
  while (Clock::now() < end || std::any_of(cs.begin(), cs.end(), [](auto& c) { return c.busy; })) {
    // Send what the schedule says is due by now.
    const auto now = Clock::now();
    const long due = now < end ? static_cast<long>(Micros(now - start) * rate / 1e6) : sent;
    while (sent < due) {
      Conn& c = cs[next++ % cs.size()];
      ++sent;
      if (c.busy) {  // that connection still waits: count it, as smtpd would queue
        ++skipped;
        continue;
      }
      const std::string q =
          "request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=10.0." +
          std::to_string(sent % 200) + "." + std::to_string(sent % 251) +
          "\nclient_name=x.test\nrecipient=a@b.test\n\n";
      c.sent = Clock::now();
      if (write(c.fd, q.data(), q.size()) != static_cast<ssize_t>(q.size())) return 1;
      c.busy = true;
    }
    for (size_t i = 0; i < cs.size(); ++i) pfds[i] = {cs[i].fd, POLLIN, 0};
    // Sleep until an answer comes or the next request is due (no busy loop:
    // the client must not take the server's core).
    const double next_due_us = (sent + 1) * 1e6 / rate - Micros(Clock::now() - start);
    const long wait_ns = static_cast<long>(std::clamp(next_due_us, 0.0, 1000.0) * 1000);
    timespec ts{0, wait_ns};
    if (ppoll(pfds.data(), pfds.size(), &ts, nullptr) > 0) {
      for (size_t i = 0; i < cs.size(); ++i) {
        if (!(pfds[i].revents & POLLIN)) continue;
        char buf[4096];
        const ssize_t n = read(cs[i].fd, buf, sizeof buf);
        if (n <= 0) return 1;
        cs[i].in.append(buf, static_cast<size_t>(n));
        if (cs[i].in.size() >= 2 && cs[i].in.compare(cs[i].in.size() - 2, 2, "\n\n") == 0) {
          lat.push_back(Micros(Clock::now() - cs[i].sent));
          cs[i].in.clear();
          cs[i].busy = false;
        }
      }
    }
  }
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double p) {
    return lat.empty() ? 0.0 : lat[static_cast<size_t>(p * (lat.size() - 1))];
  };
  std::printf(
      "policy service: %d connections, %zu answers in %.2f s = %.0f/s (asked %d/s; %ld not sent:"
      " connection busy); latency p50 %.0f us, p99 %.0f us, p99.9 %.0f us, max %.0f us; %d blocked"
      " addresses, %lld blocked answers\n",
      conns, lat.size(), secs, lat.size() / secs, rate, skipped, pct(0.5), pct(0.99), pct(0.999),
      lat.empty() ? 0.0 : lat.back(), blocked, static_cast<long long>((*server)->blocked()));
  for (auto& c : cs) close(c.fd);
  server->reset();
  rmdir(dir);
  return 0;
}
