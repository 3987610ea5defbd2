#include "actions/policy/policy_server.h"

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <vector>

#include "actions/policy/policy_server_internal.h"
#include "base/ip_address.h"

namespace mailtrail {

using policy_internal::CloseAtStop;
using policy_internal::CloseIdle;
using policy_internal::OnConnection;
using policy_internal::TakeTurns;

namespace {

// The address of the Unix socket at `path`; false when the path is too long
// for one.
bool UnixAddress(const std::string& path, sockaddr_un* addr) {
  *addr = sockaddr_un{};
  addr->sun_family = AF_UNIX;
  if (path.size() >= sizeof addr->sun_path) return false;
  std::memcpy(addr->sun_path, path.c_str(), path.size());
  return true;
}

// Whether the Unix socket at `path` may be bound: nothing there, or a socket
// no process listens on (a previous run's, left by a crash), which is
// removed. A live one is another agent's (a second `mailtrail run`): taking
// it over unlinked it, and the first agent's policy service went deaf
// without a word (helper-149 F2). Anything else there is not ours to remove.
std::string ClearSocketPath(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return "";
  if (!S_ISSOCK(st.st_mode)) return "there is a file that is no socket: not replaced";
  // Non-blocking: a live agent whose backlog is full answers EAGAIN at once
  // (blocking, the start hung until it drained, helper-150 #5).
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return std::string("socket: ") + std::strerror(errno);
  sockaddr_un addr;
  if (!UnixAddress(path, &addr)) {
    ::close(fd);
    return "the path is too long for a socket";
  }
  const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  const int err = errno;
  ::close(fd);
  if (rc == 0 || err == EAGAIN)
    return "another process serves it (a second agent?): not taken over";
  if (err != ECONNREFUSED && err != ENOENT)
    return std::string("cannot tell whether it is in use: ") + std::strerror(err);
  ::unlink(path.c_str());  // a stale socket of a previous run
  return "";
}

// A Unix stream socket bound to `path` (not listening yet), or -1 with `*rc`
// a libuv error code.
int BindUnixSocket(const std::string& path, int* rc) {
  sockaddr_un addr;
  if (!UnixAddress(path, &addr)) {
    *rc = UV_ENAMETOOLONG;
    return -1;
  }
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0 || ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    *rc = -errno;
    if (fd >= 0) ::close(fd);
    return -1;
  }
  *rc = 0;
  return fd;
}

// Whether the socket file at `path` is still the one we made (`ino`), so that
// a stop removes it: not one another agent bound after ours was taken away
// (its inode number may be ours again: ext4 and tmpfs reuse them at once),
// which a connection tells by the process listening. Asked while we listen;
// a socket not listened to yet, or a backlog full, is told by its inode.
bool OwnSocket(const std::string& path, ino_t ino) {
  struct stat st;
  if (ino == 0 || ::lstat(path.c_str(), &st) != 0 || st.st_ino != ino) return false;
  sockaddr_un addr;
  if (!UnixAddress(path, &addr)) return false;  // never bound
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return true;
  bool ours = true;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) {
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) ours = cred.pid == ::getpid();
  }
  ::close(fd);
  return ours;
}

// The soft limit on open files, from /proc/self/limits (getrlimit's syscall is
// one the unit's seccomp filter may refuse); 0 when unknown or unlimited.
size_t OpenFilesLimit() {
  std::ifstream in("/proc/self/limits");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Max open files", 0) != 0) continue;
    return static_cast<size_t>(std::strtoull(line.c_str() + 14, nullptr, 10));
  }
  return 0;
}

// Gives the socket its group; what went wrong, or "".
std::string SetGroup(const std::string& path, const std::string& name) {
  std::vector<char> buf(16384);
  group g;
  group* found = nullptr;
  if (getgrnam_r(name.c_str(), &g, buf.data(), buf.size(), &found) != 0 || found == nullptr)
    return "no group " + name;
  if (::chown(path.c_str(), static_cast<uid_t>(-1), found->gr_gid) != 0)
    return "chown to group " + name + ": " + std::strerror(errno);
  return "";
}

}  // namespace

PolicyServer::PolicyServer(Options options)
    : options_(std::move(options)),
      replies_{options_.reply,
               options_.bounce_action.empty() ? options_.reply : options_.bounce_action},
      table_(std::make_shared<PolicyTable>()) {}

std::shared_ptr<const PolicyTable> PolicyServer::table() const {
  std::lock_guard<std::mutex> l(mu_);
  return table_;
}

void PolicyServer::SetTable(PolicyTable table) {
  auto t = std::make_shared<const PolicyTable>(std::move(table));
  std::lock_guard<std::mutex> l(mu_);
  table_ = std::move(t);
}

namespace {
// A loopback HOST:PORT only (docs/security.md rule 8: nothing that answers for the mail
// path listens beyond this machine).
bool LoopbackAddress(const std::string& listen, sockaddr_storage* out) {
  auto hp = ParseLoopbackHostPort(listen);
  if (!hp) return false;
  const std::string host = hp->ip.ToString();
  if (hp->ip.is_v4())
    return uv_ip4_addr(host.c_str(), hp->port, reinterpret_cast<sockaddr_in*>(out)) == 0;
  return uv_ip6_addr(host.c_str(), hp->port, reinterpret_cast<sockaddr_in6*>(out)) == 0;
}
}  // namespace

std::string PolicyServer::Answer(const std::vector<PolicyRequest>& requests) {
  auto t = table();
  std::string out;
  for (const auto& q : requests) {
    const std::string a = PolicyAnswer(q, *t, replies_);
    if (a != "action=DUNNO") ++blocked_;
    ++requests_;
    out += a + (q.crlf ? "\r\n\r\n" : "\n\n");
  }
  return out;
}

StatusOr<std::unique_ptr<PolicyServer>> PolicyServer::Start(const Options& options) {
  if (!ValidPolicyReply(options.reply))
    return Status::InvalidArgument(
        "policy reply must be like \"450 4.7.1 text\", REJECT or DEFER_IF_PERMIT");
  if (!options.bounce_action.empty() && !ValidBounceAction(options.bounce_action))
    return Status::InvalidArgument(
        "policy bounce_action must be HOLD, DISCARD, or a reply like \"450 4.7.1 text\"");
  if (options.socket_path.empty() && options.tcp_listen.empty())
    return Status::InvalidArgument("policy service: neither a socket nor a listen address");
  sockaddr_storage tcp_addr{};
  if (!options.tcp_listen.empty() && !LoopbackAddress(options.tcp_listen, &tcp_addr))
    return Status::InvalidArgument(
        "policy listen must be a loopback HOST:PORT (127.0.0.1:10031 "
        "or [::1]:10031), not " +
        options.tcp_listen);
  std::unique_ptr<PolicyServer> s(new PolicyServer(options));
  s->impl_ = std::make_unique<Impl>();
  Impl* impl = s->impl_.get();
  impl->server = s.get();
  impl->max_connections = std::max<size_t>(1, options.max_connections);
  impl->max_per_peer = std::max<size_t>(1, options.max_connections_per_peer);
  impl->max_pending = options.max_pending_output;
  impl->idle_ms = static_cast<uint64_t>(std::max(1, options.idle_timeout_ms));
  // Past the open-files limit accept() fails and libuv drops the waiting
  // connections: the limit must come first, so that a fresh one is served.
  if (const size_t files = OpenFilesLimit(); files > 0 && impl->max_connections + 64 > files) {
    impl->max_connections = files > 128 ? files - 64 : files / 2;
    s->notice_ = "policy service: at most " + std::to_string(impl->max_connections) +
                 " connections (the open-files limit is " + std::to_string(files) +
                 "; raise LimitNOFILE for more)";
  }
  uv_loop_init(&impl->loop);
  uv_pipe_init(&impl->loop, &impl->listener, 0);
  uv_tcp_init(&impl->loop, &impl->tcp_listener);
  impl->listener.data = impl;
  impl->tcp_listener.data = impl;
  // A start that fails closes what it opened, and removes the socket file
  // it made (none that was there before).
  auto fail = [&](Status why) {
    if (OwnSocket(options.socket_path, s->socket_ino_)) ::unlink(options.socket_path.c_str());
    uv_close(reinterpret_cast<uv_handle_t*>(&impl->listener), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&impl->tcp_listener), nullptr);
    uv_run(&impl->loop, UV_RUN_DEFAULT);
    uv_loop_close(&impl->loop);
    s->impl_.reset();
    return why;
  };
  int rc = 0;
  std::string where;
  if (!options.socket_path.empty()) {
    where = "policy socket " + options.socket_path;
    if (std::string why = ClearSocketPath(options.socket_path); !why.empty()) {
      return fail(Status::Unavailable(where + ": " + why));
    }
    // Bound here, not by uv_pipe_bind: libuv unlinks the path it bound when
    // the handle closes, whoever's socket is there by then (helper-149 F2).
    const int fd = BindUnixSocket(options.socket_path, &rc);
    if (struct stat st; fd >= 0 && ::lstat(options.socket_path.c_str(), &st) == 0)
      s->socket_ino_ = st.st_ino;
    if (fd >= 0 && (rc = uv_pipe_open(&impl->listener, fd)) != 0) ::close(fd);
    // Mode and group before listen(): nobody connects in between. For
    // Postfix only (0660, group postfix), not for every local user: anyone who
    // can connect can hold connections.
    if (rc == 0) rc = ::chmod(options.socket_path.c_str(), options.socket_mode) == 0 ? 0 : -errno;
    if (rc == 0 && !options.socket_group.empty()) {
      if (std::string why = SetGroup(options.socket_path, options.socket_group); !why.empty()) {
        if (options.socket_group_required) {
          return fail(Status::InvalidArgument(where + ": " + why));
        }
        s->notice_ += std::string(s->notice_.empty() ? "" : "; ") + where + ": " + why +
                      " (smtpd may be unable to connect)";
      }
    }
    if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(&impl->listener), 511, OnConnection);
  }
  if (rc == 0 && !options.tcp_listen.empty()) {
    where = "policy listen " + options.tcp_listen;
    rc = uv_tcp_bind(&impl->tcp_listener, reinterpret_cast<const sockaddr*>(&tcp_addr), 0);
    if (rc == 0)
      rc = uv_listen(reinterpret_cast<uv_stream_t*>(&impl->tcp_listener), 511, OnConnection);
    if (rc == 0) {
      sockaddr_storage bound{};
      int len = sizeof bound;
      uv_tcp_getsockname(&impl->tcp_listener, reinterpret_cast<sockaddr*>(&bound), &len);
      impl->tcp_port =
          ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                           : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
    }
  }
  if (rc != 0) {
    return fail(Status::IoError(where + ": " + uv_strerror(rc)));
  }
  uv_timer_init(&impl->loop, &impl->sweep);
  impl->sweep.data = impl;
  const uint64_t every = std::max<uint64_t>(10, impl->idle_ms / 4);
  uv_timer_start(&impl->sweep, CloseIdle, every, every);
  uv_check_init(&impl->loop, &impl->turn);
  impl->turn.data = impl;
  uv_check_start(&impl->turn, TakeTurns);
  // Stop: close every handle (clients free themselves), then the loop ends.
  uv_async_init(&impl->loop, &impl->stop, [](uv_async_t* a) {
    auto* impl = static_cast<Impl*>(a->data);
    uv_walk(
        &impl->loop,
        [](uv_handle_t* h, void* arg) {
          auto* impl = static_cast<Impl*>(arg);
          if (uv_is_closing(h)) return;
          const bool own = h == reinterpret_cast<uv_handle_t*>(&impl->listener) ||
                           h == reinterpret_cast<uv_handle_t*>(&impl->tcp_listener) ||
                           h == reinterpret_cast<uv_handle_t*>(&impl->sweep) ||
                           h == reinterpret_cast<uv_handle_t*>(&impl->turn) ||
                           h == reinterpret_cast<uv_handle_t*>(&impl->stop);
          if (own) {
            uv_close(h, nullptr);
          } else {
            CloseAtStop(h);
          }
        },
        impl);
  });
  impl->stop.data = impl;
  s->thread_ = std::thread([impl] { uv_run(&impl->loop, UV_RUN_DEFAULT); });
  return s;
}

int PolicyServer::tcp_port() const { return impl_ ? impl_->tcp_port : 0; }
size_t PolicyServer::connections() const { return impl_ ? impl_->open.load() : 0; }

PolicyServer::~PolicyServer() {
  if (!impl_) return;
  const bool own = !options_.socket_path.empty() && OwnSocket(options_.socket_path, socket_ino_);
  uv_async_send(&impl_->stop);
  if (thread_.joinable()) thread_.join();
  uv_loop_close(&impl_->loop);
  if (own) ::unlink(options_.socket_path.c_str());
}

}  // namespace mailtrail
