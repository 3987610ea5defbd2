#include "actions/policy/policy_server.h"

#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "base/ip_address.h"

#include <cstdlib>
#include <cstring>
#include <vector>

namespace mailtrail {

struct PolicyServer::Impl {
  uv_loop_t loop;
  uv_pipe_t listener;
  uv_tcp_t tcp_listener;
  int tcp_port = 0;
  size_t max_connections = 0;
  uv_async_t stop;
  PolicyServer* server = nullptr;
  size_t connections = 0;
};

namespace {
struct Client {
  union {
    uv_pipe_t pipe;
    uv_tcp_t tcp;
  } handle;
  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&handle); }
  PolicyServer::Impl* impl;
  PolicyReader reader;
  char buf[16384];
};

struct Write {
  uv_write_t req;
  std::string data;
};

void OnClosed(uv_handle_t* h) {
  auto* c = static_cast<Client*>(h->data);
  --c->impl->connections;
  delete c;
}

void OnRead(uv_stream_t* stream, ssize_t n, const uv_buf_t* b);

// A new connection on either listener (the Unix socket or loopback TCP).
void OnConnection(uv_stream_t* server, int status) {
  auto* impl = static_cast<PolicyServer::Impl*>(server->data);
  if (status < 0) return;
  auto* c = new Client();
  c->impl = impl;
  if (server->type == UV_TCP) {
    uv_tcp_init(&impl->loop, &c->handle.tcp);
  } else {
    uv_pipe_init(&impl->loop, &c->handle.pipe, 0);
  }
  c->stream()->data = c;
  ++impl->connections;
  if (uv_accept(server, c->stream()) != 0 || impl->connections > impl->max_connections) {
    uv_close(reinterpret_cast<uv_handle_t*>(c->stream()), OnClosed);
    return;
  }
  uv_read_start(
      c->stream(),
      [](uv_handle_t* h, size_t, uv_buf_t* b) {
        auto* c = static_cast<Client*>(h->data);
        *b = uv_buf_init(c->buf, sizeof c->buf);
      },
      OnRead);
}

}  // namespace

PolicyServer::PolicyServer(Options options)
    : options_(std::move(options)), table_(std::make_shared<PolicyTable>()) {}

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
void OnRead(uv_stream_t* stream, ssize_t n, const uv_buf_t* b) {
  auto* c = static_cast<Client*>(stream->data);
  if (n < 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(stream), OnClosed);
    return;
  }
  std::vector<PolicyRequest> requests;
  c->reader.Feed(std::string_view(b->base, static_cast<size_t>(n)), &requests);
  if (requests.empty()) return;
  auto* w = new Write();
  w->data = c->impl->server->Answer(requests);
  uv_buf_t out = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
  if (uv_write(&w->req, stream, &out, 1,
               [](uv_write_t* req, int) { delete reinterpret_cast<Write*>(req); }) != 0)
    delete w;
}

// A loopback HOST:PORT only (SECURITY.md: nothing that answers for the mail
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
    const std::string a = PolicyAnswer(q, *t, options_.reply);
    if (a != "action=DUNNO") ++blocked_;
    ++requests_;
    out += a + "\n\n";
  }
  return out;
}

StatusOr<std::unique_ptr<PolicyServer>> PolicyServer::Start(const Options& options) {
  if (!ValidPolicyReply(options.reply))
    return Status::InvalidArgument(
        "policy reply must be like \"450 4.7.1 text\" or DEFER_IF_PERMIT");
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
  impl->max_connections = options.max_connections;
  uv_loop_init(&impl->loop);
  uv_pipe_init(&impl->loop, &impl->listener, 0);
  uv_tcp_init(&impl->loop, &impl->tcp_listener);
  impl->listener.data = impl;
  impl->tcp_listener.data = impl;
  int rc = 0;
  std::string where;
  if (!options.socket_path.empty()) {
    where = "policy socket " + options.socket_path;
    ::unlink(options.socket_path.c_str());  // a stale socket of a previous run
    rc = uv_pipe_bind(&impl->listener, options.socket_path.c_str());
    if (rc == 0) rc = ::chmod(options.socket_path.c_str(), options.socket_mode) == 0 ? 0 : -errno;
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
    uv_close(reinterpret_cast<uv_handle_t*>(&impl->listener), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&impl->tcp_listener), nullptr);
    uv_run(&impl->loop, UV_RUN_DEFAULT);
    uv_loop_close(&impl->loop);
    s->impl_.reset();
    return Status::IoError(where + ": " + uv_strerror(rc));
  }
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
                           h == reinterpret_cast<uv_handle_t*>(&impl->stop);
          uv_close(h, own ? nullptr : OnClosed);
        },
        impl);
  });
  impl->stop.data = impl;
  s->thread_ = std::thread([impl] { uv_run(&impl->loop, UV_RUN_DEFAULT); });
  return s;
}

int PolicyServer::tcp_port() const { return impl_ ? impl_->tcp_port : 0; }

PolicyServer::~PolicyServer() {
  if (!impl_) return;
  uv_async_send(&impl_->stop);
  if (thread_.joinable()) thread_.join();
  uv_loop_close(&impl_->loop);
  if (!options_.socket_path.empty()) ::unlink(options_.socket_path.c_str());
}

}  // namespace mailtrail
