#include "agent/web/web_server.h"

#include <httplib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>
#include <thread>
#include <vector>

#include "agent/web/request_head.h"
#include "agent/web/slow_heads.h"
#include "base/cidr.h"
#include "base/ip_address.h"

namespace mailtrail::web {

namespace {

// A fixed pool of workers and a bounded queue: enqueue waits while the queue
// is full, so the accept thread stops taking connections (httplib's own
// ThreadPool queues without bound).
class BoundedPool : public httplib::TaskQueue {
 public:
  BoundedPool(int workers, size_t max_queued) : max_queued_(max_queued) {
    for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { Work(); });
  }
  void enqueue(std::function<void()> fn) override {
    std::unique_lock<std::mutex> lock(mu_);
    space_.wait(lock, [&] { return jobs_.size() < max_queued_ || shutdown_; });
    jobs_.push_back(std::move(fn));
    ready_.notify_one();
  }
  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      shutdown_ = true;
    }
    ready_.notify_all();
    space_.notify_all();
    for (auto& t : threads_) t.join();
  }

 private:
  void Work() {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock<std::mutex> lock(mu_);
        ready_.wait(lock, [&] { return !jobs_.empty() || shutdown_; });
        if (jobs_.empty()) return;  // shut down and drained
        fn = std::move(jobs_.front());
        jobs_.pop_front();
        space_.notify_one();
      }
      fn();
    }
  }
  const size_t max_queued_;
  std::mutex mu_;
  std::condition_variable ready_, space_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  bool shutdown_ = false;
};

// The connection as the library reads and writes it: reads end at a deadline
// for the whole request and after `read_budget` bytes (its head and a body
// of at most 64 KiB are there long before), buffered (the library reads the
// head a byte at a time); writes wait at most `write_ms` each (an export
// streams).
class DeadlineStream : public httplib::Stream {
 public:
  DeadlineStream(int sock, int read_ms, size_t read_budget, int write_ms)
      : sock_(sock),
        read_until_(std::chrono::steady_clock::now() + std::chrono::milliseconds(read_ms)),
        read_budget_(read_budget),
        write_ms_(write_ms) {}
  bool is_readable() const override { return have_ > 0 || Wait(POLLIN, ReadLeftMs()); }
  bool is_writable() const override { return Wait(POLLOUT, write_ms_); }
  ssize_t read(char* ptr, size_t size) override {
    if (have_ == 0) {
      // Past the deadline or the budget, nothing more: a client that keeps
      // the socket full is cut all the same.
      if (ReadLeftMs() == 0 || read_budget_ == 0 || !Wait(POLLIN, ReadLeftMs())) return -1;
      const ssize_t n = ::recv(sock_, buf_, std::min(sizeof buf_, read_budget_), 0);
      if (n <= 0) return n;
      read_budget_ -= static_cast<size_t>(n);
      have_ = static_cast<size_t>(n);
      at_ = 0;
    }
    const size_t n = std::min(size, have_);
    std::memcpy(ptr, buf_ + at_, n);
    at_ += n;
    have_ -= n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    if (!Wait(POLLOUT, write_ms_)) return -1;
    return ::send(sock_, ptr, size, MSG_NOSIGNAL);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    Name(::getpeername, &ip, &port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    Name(::getsockname, &ip, &port);
  }
  socket_t socket() const override { return sock_; }

 private:
  int ReadLeftMs() const {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        read_until_ - std::chrono::steady_clock::now());
    return static_cast<int>(std::max<int64_t>(0, left.count()));
  }
  bool Wait(short events, int ms) const {
    pollfd p{sock_, events, 0};
    int r;
    do r = ::poll(&p, 1, ms);
    while (r < 0 && errno == EINTR);
    return r > 0 && (p.revents & (events | POLLHUP)) != 0;
  }
  template <typename F>
  void Name(F f, std::string* ip, int* port) const {
    sockaddr_storage a{};
    socklen_t len = sizeof a;
    *port = 0;
    ip->clear();
    if (f(sock_, reinterpret_cast<sockaddr*>(&a), &len) != 0) return;
    char host[INET6_ADDRSTRLEN] = {};
    if (a.ss_family == AF_INET) {
      const auto* v4 = reinterpret_cast<const sockaddr_in*>(&a);
      ::inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
      *port = ntohs(v4->sin_port);
    } else if (a.ss_family == AF_INET6) {
      const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&a);
      ::inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
      *port = ntohs(v6->sin6_port);
    }
    *ip = host;
  }
  const int sock_;
  const std::chrono::steady_clock::time_point read_until_;
  size_t read_budget_;
  const int write_ms_;
  char buf_[4096];
  size_t at_ = 0, have_ = 0;
};

// A request's head is bounded before the library reads it (request_head.h):
// at most 64 KiB, whole within the read timeout; else the connection is
// closed (431 for one too large). Then the library answers it on a
// DeadlineStream, and the connection is closed: one request per connection,
// so that each request's head passes this check.
class HeadBoundedServer : public httplib::Server {
 public:
  HeadBoundedServer(int read_s, int write_s, int grace_ms, size_t slow_per_client,
                    size_t slow_in_all, const ProxyAuth* proxy)
      : read_ms_(read_s * 1000),
        write_ms_(write_s * 1000),
        grace_ms_(std::min(grace_ms, read_s * 1000)),
        slow_heads_(slow_per_client, slow_in_all),
        proxy_(proxy) {}

  // WebServer::Stop: connections still waiting for their head are closed
  // (the library's is_running() says false only once every worker is done).
  void BeginStop() { stopping_ = true; }

 private:
  bool process_and_close_socket(socket_t sock) override {
    std::string text;
    auto running = [this] { return !stopping_.load(); };
    HeadCheck head = WaitForRequestHead(sock, kMaxHead, grace_ms_, running, &text);
    bool ok = false;
    const char* refusal = nullptr;
    if (head == HeadCheck::kTooSlow) {
      // A slow head: it may hold a worker for the rest of the read timeout,
      // within its client's share (slow_heads.h).
      const std::string peer = PeerAddress(sock);
      const std::string client = SlowHeadClient(peer);
      const bool counted = !IsTrustedProxy(peer);
      if (counted && !slow_heads_.Enter(client)) {
        // Nothing sent yet (a browser's spare connection, opened ahead of
        // its request): closed as an idle connection is, which a browser
        // takes as such and opens another. Part of a head: 503.
        char byte;
        if (::recv(sock, &byte, 1, MSG_PEEK | MSG_DONTWAIT) <= 0) {
          ::shutdown(sock, SHUT_RDWR);
          ::close(sock);
          return false;
        }
        refusal = "503 Service Unavailable\r\nRetry-After: 10";
      } else {
        // Left however the wait ends (it may throw: bad_alloc).
        struct Leaving {
          SlowHeads* heads;
          const std::string& client;
          ~Leaving() {
            if (heads) heads->Leave(client);
          }
        } leaving{counted ? &slow_heads_ : nullptr, client};
        head = WaitForRequestHead(sock, kMaxHead, read_ms_ - grace_ms_, running, &text);
      }
    }
    if (refusal != nullptr) {
      // refused above, before the head came
    } else if (head == HeadCheck::kArrived && AsksForSeveralRanges(text)) {
      refusal = "416 Range Not Satisfiable";
    } else if (head == HeadCheck::kArrived) {
      DeadlineStream strm(sock, read_ms_, kMaxHead + kMaxBody, write_ms_);
      bool closed = false;
      ok = process_request(strm, /*close_connection=*/true, closed, nullptr);
    } else if (head == HeadCheck::kTooLarge) {
      refusal = "431 Request Header Fields Too Large";
    } else if (head == HeadCheck::kMalformed) {
      refusal = "400 Bad Request";
    }
    if (refusal) {
      // What arrived is read first: a close with unread bytes sends a reset,
      // which may overtake the answer (helper-77).
      char junk[4096];
      for (size_t drained = 0; drained < kMaxHead;) {
        const ssize_t n = ::recv(sock, junk, sizeof junk, MSG_DONTWAIT);
        if (n <= 0) break;
        drained += static_cast<size_t>(n);
      }
      const std::string answer =
          std::string("HTTP/1.1 ") + refusal + "\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
      [[maybe_unused]] ssize_t n = ::send(sock, answer.data(), answer.size(), MSG_NOSIGNAL);
    }
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
    return ok;
  }

  // The connection's address ("" when the socket cannot say).
  static std::string PeerAddress(int sock) {
    sockaddr_storage a{};
    socklen_t len = sizeof a;
    if (::getpeername(sock, reinterpret_cast<sockaddr*>(&a), &len) != 0) return "";
    char text[INET6_ADDRSTRLEN] = "";
    const void* at = a.ss_family == AF_INET6
                         ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&a)->sin6_addr)
                         : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&a)->sin_addr);
    if (::inet_ntop(a.ss_family, at, text, sizeof text) == nullptr) return "";
    return text;
  }
  bool IsTrustedProxy(const std::string& client) const {
    if (proxy_ == nullptr) return false;
    const auto ip = IpAddress::Parse(client);
    if (!ip) return false;
    for (const Cidr& net : proxy_->trusted)
      if (net.Contains(*ip)) return true;
    return false;
  }

  static constexpr size_t kMaxHead = 64 * 1024, kMaxBody = 64 * 1024;
  const int read_ms_, write_ms_, grace_ms_;
  SlowHeads slow_heads_;
  const ProxyAuth* proxy_;
  std::atomic<bool> stopping_{false};
};

// Every answer: no script but our own files, nothing framed, no Referer.
httplib::Headers SecurityHeaders() {
  return {
      {"Content-Security-Policy",
       "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"},
      {"Referrer-Policy", "no-referrer"},
      {"X-Content-Type-Options", "nosniff"},
      {"X-Frame-Options", "DENY"},
      {"Cache-Control", "no-store"},
  };
}

}  // namespace

WebServer::WebServer(StoreAccess* store, const Clock* clock, WebOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {}

WebServer::~WebServer() { Stop(); }

Status WebServer::Bind() {
  std::string host;
  int port = 0;
  const bool authenticated = options_.auth || options_.proxy;
  if (Status st = CheckListen(options_.listen, authenticated, &host, &port); !st.ok()) return st;
  if (options_.writes && (!authenticated || !options_.audit || !options_.guard))
    return Status::InvalidArgument("writes need authentication and an audit file");
  server_ = std::make_unique<HeadBoundedServer>(
      options_.read_timeout_s, options_.write_timeout_s, options_.head_grace_ms,
      options_.slow_heads_per_client,
      // Two workers stay for whole requests, whatever their number.
      std::min<size_t>(options_.slow_heads_in_all, std::max(1, options_.workers - 2)),
      options_.proxy);
  exports_ = std::make_unique<ExportLimiter>(options_.exports);
  const int workers = options_.workers;
  const size_t max_queued = options_.max_queued;
  server_->new_task_queue = [workers, max_queued] { return new BoundedPool(workers, max_queued); };
  server_->set_payload_max_length(64 * 1024);  // HeadBoundedServer::kMaxBody
  server_->set_read_timeout(options_.read_timeout_s, 0);
  server_->set_write_timeout(options_.write_timeout_s, 0);
  server_->set_keep_alive_timeout(5);
  server_->set_keep_alive_max_count(1);  // each request's head bounded (HeadBoundedServer)
  server_->set_default_headers(SecurityHeaders());
  std::ifstream chart(options_.chartjs_dir + "/chart.umd.min.js");
  if (!chart) chart.open(options_.chartjs_dir + "/chart.min.js");
  if (chart) chartjs_.assign(std::istreambuf_iterator<char>(chart), {});
  if (authenticated) {
    // Every route needs a principal (static files too: nothing is public).
    server_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (Who(req)) return httplib::Server::HandlerResponse::Unhandled;
      res.status = 401;
      res.set_header("WWW-Authenticate", "Basic realm=\"mailtrail\", charset=\"UTF-8\"");
      res.set_content("authentication required\n", "text/plain");
      return httplib::Server::HandlerResponse::Handled;
    });
  } else {
    // Loopback without authentication: only for this machine's own names
    // (DNS rebinding would hand every record to a web page).
    server_->set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
      if (HostIsUnrebindable(req.get_header_value("Host")))
        return httplib::Server::HandlerResponse::Unhandled;
      res.status = 421;
      res.set_content(
          "this console answers only requests to an IP address or localhost without "
          "authentication (docs/web.md)\n",
          "text/plain");
      return httplib::Server::HandlerResponse::Handled;
    });
  }
  AddRoutes();
  if (options_.writes) AddWriteRoutes();
  if (port == 0) {
    port_ = server_->bind_to_any_port(host.c_str());
    if (port_ < 0) return Status::Unavailable("cannot listen on " + options_.listen);
  } else {
    if (!server_->bind_to_port(host.c_str(), port))
      return Status::Unavailable("cannot listen on " + options_.listen);
    port_ = port;
  }
  return Status::Ok();
}

std::optional<Principal> WebServer::Who(const httplib::Request& req) {
  // The proxy's header counts only from the proxy: from any other address it
  // is ignored, and the request's own credentials decide.
  if (options_.proxy && req.has_header(options_.proxy->header)) {
    // A proxy that appends its header to the client's, instead of replacing
    // it, would let the client's come first: more than one is no one.
    if (req.get_header_value_count(options_.proxy->header) != 1) return std::nullopt;
    if (auto p = ProxyPrincipal(*options_.proxy, req.remote_addr,
                                req.get_header_value(options_.proxy->header)))
      return p;
  }
  if (!options_.auth || !req.has_header("Authorization")) return std::nullopt;
  return options_.auth->Check(req.get_header_value("Authorization"), *clock_);
}

std::string WebServer::CsrfToken(const std::string& user) {
  std::lock_guard<std::mutex> lock(csrf_mu_);
  std::string& t = csrf_[user];
  if (t.empty()) {
    unsigned char bytes[24];
    if (getrandom(bytes, sizeof bytes, 0) != sizeof bytes)
      std::abort();  // no randomness: no tokens
    static constexpr char kHex[] = "0123456789abcdef";
    for (unsigned char b : bytes) {
      t.push_back(kHex[b >> 4]);
      t.push_back(kHex[b & 15]);
    }
  }
  return t;
}

void WebServer::Run() {
  if (server_) server_->listen_after_bind();
}

void WebServer::Stop() {
  if (!server_) return;
  static_cast<HeadBoundedServer*>(server_.get())->BeginStop();
  server_->stop();
}

}  // namespace mailtrail::web
