// HeadBoundedServer and its pool (bounded_server.h).
#include "agent/web/bounded_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

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

// The address `name_of` (getpeername or getsockname) gives for `sock`, as
// text, and its port; "" and 0 when the socket cannot say.
template <typename NameOf>
std::string SocketAddress(NameOf name_of, int sock, int* port) {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  *port = 0;
  if (name_of(sock, reinterpret_cast<sockaddr*>(&a), &len) != 0) return "";
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
  return host;
}

// The connection as the library reads and writes it: reads end at a deadline
// for the whole request and after `read_budget` bytes (its head and a body
// of at most 64 KiB are there long before), buffered (the library reads the
// head a byte at a time); writes wait at most `write_ms` each (an export
// streams). A client that has not taken a write within `slow_ms` reads
// slowly: it holds a worker as long as its answer lasts, so it counts as a
// slow reader of its client (`slow`, null for a trusted proxy's), and beyond
// the client's share it is cut (helper-151: eight clients of one address
// reading 4 KB every 5 s held every worker for a minute).
class DeadlineStream : public httplib::Stream {
 public:
  DeadlineStream(int sock, int read_ms, size_t read_budget, int write_ms, int slow_ms,
                 SlowHeads* slow, std::string client)
      : sock_(sock),
        read_until_(std::chrono::steady_clock::now() + std::chrono::milliseconds(read_ms)),
        read_budget_(read_budget),
        write_ms_(write_ms),
        slow_ms_(slow_ms),
        slow_(slow),
        client_(std::move(client)) {}
  ~DeadlineStream() override {
    if (counted_) slow_->Leave(client_);
  }
  DeadlineStream(const DeadlineStream&) = delete;
  DeadlineStream& operator=(const DeadlineStream&) = delete;
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
    const bool may_count = slow_ != nullptr && !counted_;
    if (!Wait(POLLOUT, may_count ? slow_ms_ : write_ms_)) {
      if (!may_count || !slow_->Enter(client_)) return -1;
      counted_ = true;
      if (!Wait(POLLOUT, write_ms_ - slow_ms_)) return -1;
    }
    return ::send(sock_, ptr, size, MSG_NOSIGNAL);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = SocketAddress(::getpeername, sock_, &port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = SocketAddress(::getsockname, sock_, &port);
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
  const int sock_;
  const std::chrono::steady_clock::time_point read_until_;
  size_t read_budget_;
  const int write_ms_, slow_ms_;
  SlowHeads* const slow_;
  const std::string client_;
  bool counted_ = false;  // a slow reader, in slow_ until the answer ends
  char buf_[4096];
  size_t at_ = 0, have_ = 0;
};

void Close(int sock) {
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
}

// A short answer with no body, after what arrived is read: a close with
// unread bytes sends a reset, which may overtake the answer (helper-77).
void Refuse(int sock, const char* status, size_t max_unread) {
  char junk[4096];
  for (size_t drained = 0; drained < max_unread;) {
    const ssize_t n = ::recv(sock, junk, sizeof junk, MSG_DONTWAIT);
    if (n <= 0) break;
    drained += static_cast<size_t>(n);
  }
  const std::string answer =
      std::string("HTTP/1.1 ") + status + "\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
  [[maybe_unused]] ssize_t n = ::send(sock, answer.data(), answer.size(), MSG_NOSIGNAL);
}

}  // namespace

httplib::TaskQueue* NewBoundedPool(int workers, size_t max_queued) {
  return new BoundedPool(workers, max_queued);
}

HeadBoundedServer::HeadBoundedServer(const HeadLimits& limits, const ProxyAuth* proxy)
    : read_ms_(limits.read_s * 1000),
      write_ms_(limits.write_s * 1000),
      grace_ms_(std::min(limits.grace_ms, limits.read_s * 1000)),
      grace_when_full_ms_(std::min(limits.grace_when_full_ms, grace_ms_)),
      slow_reader_ms_(std::max(1, std::min(limits.slow_reader_ms, write_ms_))),
      slow_heads_(limits.slow_per_client, limits.slow_in_all),
      slow_readers_(limits.slow_per_client, limits.slow_in_all),
      proxy_(proxy) {}

bool HeadBoundedServer::ProxyNamesAnEscape(const std::string& head, const std::string& peer) const {
  if (proxy_ == nullptr || !IsTrustedProxy(*proxy_, peer)) return false;
  std::string lower = proxy_->header;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto value = HeaderValue(head, lower);
  return value && value->find('%') != std::string_view::npos;
}

bool HeadBoundedServer::Counted(const std::string& peer) const {
  return proxy_ == nullptr || !IsTrustedProxy(*proxy_, peer);
}

int HeadBoundedServer::GraceFor(const std::string& peer) const {
  if (!Counted(peer) || slow_heads_.HasRoom(SlowHeadClient(peer))) return grace_ms_;
  return grace_when_full_ms_;
}

bool HeadBoundedServer::process_and_close_socket(socket_t sock) {
  std::string text;
  auto running = [this] { return !stopping_.load(); };
  int port;
  const std::string peer = SocketAddress(::getpeername, sock, &port);
  HeadCheck head = WaitForRequestHead(sock, kMaxHead, GraceFor(peer), running, &text, kMaxBody);
  const char* refusal = nullptr;
  if (head == HeadCheck::kTooSlow) {
    switch (WaitForSlowHead(sock, peer, running, &text, &head)) {
      case SlowHead::kIdle:
        Close(sock);  // as an idle connection is: a browser opens another
        return false;
      case SlowHead::kRefused:
        refusal = "503 Service Unavailable\r\nRetry-After: 10";
        break;
      case SlowHead::kWaited:
        break;
    }
  }
  bool ok = false;
  if (refusal == nullptr) {
    if (head == HeadCheck::kArrived && AsksForSeveralRanges(text)) {
      refusal = "416 Range Not Satisfiable";
    } else if (head == HeadCheck::kArrived && ProxyNamesAnEscape(text, peer)) {
      refusal = "400 Bad Request";
    } else if (head == HeadCheck::kArrived) {
      DeadlineStream strm(sock, read_ms_, kMaxHead + kMaxBody, write_ms_, slow_reader_ms_,
                          Counted(peer) ? &slow_readers_ : nullptr, SlowHeadClient(peer));
      bool closed = false;
      ok = process_request(strm, /*close_connection=*/true, closed, nullptr);
    } else if (head == HeadCheck::kTooLarge) {
      refusal = "431 Request Header Fields Too Large";
    } else if (head == HeadCheck::kMalformed) {
      refusal = "400 Bad Request";
    } else if (head == HeadCheck::kBodyTooLarge) {
      refusal = "413 Payload Too Large";
    } else if (head == HeadCheck::kLengthRequired) {
      refusal = "411 Length Required";
    }
  }
  if (refusal != nullptr) Refuse(sock, refusal, kMaxHead);
  Close(sock);
  return ok;
}

HeadBoundedServer::SlowHead HeadBoundedServer::WaitForSlowHead(int sock, const std::string& peer,
                                                               const std::function<bool()>& running,
                                                               std::string* text, HeadCheck* head) {
  const std::string client = SlowHeadClient(peer);
  const bool counted = Counted(peer);
  if (counted && !slow_heads_.Enter(client)) {
    char byte;
    const bool idle = ::recv(sock, &byte, 1, MSG_PEEK | MSG_DONTWAIT) <= 0;
    return idle ? SlowHead::kIdle : SlowHead::kRefused;
  }
  // Left however the wait ends (it may throw: bad_alloc).
  struct Leaving {
    SlowHeads* heads;
    const std::string& client;
    ~Leaving() {
      if (heads) heads->Leave(client);
    }
  } leaving{counted ? &slow_heads_ : nullptr, client};
  *head = WaitForRequestHead(sock, kMaxHead, read_ms_ - grace_ms_, running, text, kMaxBody);
  return SlowHead::kWaited;
}

}  // namespace mailtrail::web
