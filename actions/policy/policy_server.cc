#include "actions/policy/policy_server.h"

#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include <cstring>
#include <vector>

namespace mailtrail {

struct PolicyServer::Impl {
  uv_loop_t loop;
  uv_pipe_t listener;
  uv_async_t stop;
  PolicyServer* server = nullptr;
  size_t connections = 0;
};

namespace {
struct Client {
  uv_pipe_t pipe;
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

StatusOr<std::unique_ptr<PolicyServer>> PolicyServer::Start(const Options& options) {
  if (!ValidPolicyReply(options.reply))
    return Status::InvalidArgument(
        "policy reply must be like \"450 4.7.1 text\" or DEFER_IF_PERMIT");
  std::unique_ptr<PolicyServer> s(new PolicyServer(options));
  s->impl_ = std::make_unique<Impl>();
  Impl* impl = s->impl_.get();
  impl->server = s.get();
  uv_loop_init(&impl->loop);
  uv_pipe_init(&impl->loop, &impl->listener, 0);
  impl->listener.data = impl;
  ::unlink(options.socket_path.c_str());  // a stale socket of a previous run
  int rc = uv_pipe_bind(&impl->listener, options.socket_path.c_str());
  if (rc == 0) rc = ::chmod(options.socket_path.c_str(), options.socket_mode) == 0 ? 0 : -errno;
  if (rc == 0) {
    rc = uv_listen(
        reinterpret_cast<uv_stream_t*>(&impl->listener), 511, [](uv_stream_t* server, int status) {
          auto* impl = static_cast<Impl*>(server->data);
          if (status < 0) return;
          auto* c = new Client();
          c->impl = impl;
          uv_pipe_init(&impl->loop, &c->pipe, 0);
          c->pipe.data = c;
          if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&c->pipe)) != 0 ||
              impl->connections >= impl->server->options_.max_connections) {
            ++impl->connections;
            uv_close(reinterpret_cast<uv_handle_t*>(&c->pipe), OnClosed);
            return;
          }
          ++impl->connections;
          uv_read_start(
              reinterpret_cast<uv_stream_t*>(&c->pipe),
              [](uv_handle_t* h, size_t, uv_buf_t* b) {
                auto* c = static_cast<Client*>(h->data);
                *b = uv_buf_init(c->buf, sizeof c->buf);
              },
              [](uv_stream_t* stream, ssize_t n, const uv_buf_t* b) {
                auto* c = static_cast<Client*>(stream->data);
                if (n < 0) {
                  uv_close(reinterpret_cast<uv_handle_t*>(stream), OnClosed);
                  return;
                }
                std::vector<PolicyRequest> requests;
                c->reader.Feed(std::string_view(b->base, static_cast<size_t>(n)), &requests);
                if (requests.empty()) return;
                PolicyServer* s = c->impl->server;
                auto table = s->table();
                auto* w = new Write();
                for (const auto& q : requests) {
                  const std::string a = PolicyAnswer(q, *table, s->options_.reply);
                  if (a != "action=DUNNO") ++s->blocked_;
                  ++s->requests_;
                  w->data += a + "\n\n";
                }
                uv_buf_t out = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
                if (uv_write(&w->req, stream, &out, 1, [](uv_write_t* req, int) {
                      delete reinterpret_cast<Write*>(req);
                    }) != 0)
                  delete w;
              });
        });
  }
  if (rc != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&impl->listener), nullptr);
    uv_run(&impl->loop, UV_RUN_DEFAULT);
    uv_loop_close(&impl->loop);
    s->impl_.reset();
    return Status::IoError("policy socket " + options.socket_path + ": " + uv_strerror(rc));
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
                           h == reinterpret_cast<uv_handle_t*>(&impl->stop);
          uv_close(h, own ? nullptr : OnClosed);
        },
        impl);
  });
  impl->stop.data = impl;
  s->thread_ = std::thread([impl] { uv_run(&impl->loop, UV_RUN_DEFAULT); });
  return s;
}

PolicyServer::~PolicyServer() {
  if (!impl_) return;
  uv_async_send(&impl_->stop);
  if (thread_.joinable()) thread_.join();
  uv_loop_close(&impl_->loop);
  ::unlink(options_.socket_path.c_str());
}

}  // namespace mailtrail
