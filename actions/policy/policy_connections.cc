// One policy connection's life: accept (within the limits), read requests,
// write answers (bounded), close when idle. See policy_server_internal.h.
#include <sys/socket.h>

#include <string>
#include <utility>
#include <vector>

#include "actions/policy/policy_server_internal.h"

namespace mailtrail::policy_internal {

struct Client {
  union {
    uv_pipe_t pipe;
    uv_tcp_t tcp;
  } handle;
  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&handle); }
  uv_handle_t* as_handle() { return reinterpret_cast<uv_handle_t*>(&handle); }
  PolicyServer::Impl* impl = nullptr;
  PolicyReader reader;
  std::list<Client*>::iterator lru;
  std::string peer;
  uint64_t last_active = 0;  // loop time, ms
  size_t pending = 0;        // answer bytes given to libuv and not yet written
  bool reading = false, closing = false;
  char buf[4096];
};

namespace {

struct Write {
  uv_write_t req;
  std::string data;
};

void OnClosed(uv_handle_t* h) { delete static_cast<Client*>(h->data); }

void Touch(Client* c) {
  c->last_active = uv_now(&c->impl->loop);
  c->impl->lru.splice(c->impl->lru.end(), c->impl->lru, c->lru);
}

void CloseClient(Client* c) {
  if (c->closing) return;
  c->closing = true;
  PolicyServer::Impl* impl = c->impl;
  impl->lru.erase(c->lru);
  if (--impl->per_peer[c->peer] == 0) impl->per_peer.erase(c->peer);
  --impl->open;
  uv_close(c->as_handle(), OnClosed);  // pending writes are cancelled first
}

// The least recently active connection of `peer` makes room.
void CloseOldest(PolicyServer::Impl* impl, const std::string& peer) {
  for (Client* c : impl->lru) {
    if (c->peer == peer) {
      CloseClient(c);
      return;
    }
  }
}

// At the total, the peer holding the most connections gives one up: the
// oldest of anyone's was Postfix's own when another local user held the
// rest (helper-136 F2).
void CloseOldestOfTheBusiestPeer(PolicyServer::Impl* impl) {
  const std::string* busiest = nullptr;
  size_t most = 0;
  for (const auto& [peer, n] : impl->per_peer)
    if (n > most) most = n, busiest = &peer;
  if (busiest != nullptr) CloseOldest(impl, std::string(*busiest));
}

void OnRead(uv_stream_t* stream, ssize_t n, const uv_buf_t* b);

void StartReading(Client* c) {
  if (c->reading || c->closing) return;
  c->reading = true;
  uv_read_start(
      c->stream(),
      [](uv_handle_t* h, size_t, uv_buf_t* b) {
        auto* c = static_cast<Client*>(h->data);
        *b = uv_buf_init(c->buf, sizeof c->buf);
      },
      OnRead);
}

void StopReading(Client* c) {
  if (!c->reading) return;
  c->reading = false;
  uv_read_stop(c->stream());
}

void OnWritten(uv_write_t* req, int status) {
  auto* w = reinterpret_cast<Write*>(req);
  auto* c = static_cast<Client*>(req->handle->data);
  c->pending -= w->data.size();
  delete w;
  if (c->closing) return;
  if (status < 0) {
    CloseClient(c);
    return;
  }
  Touch(c);
  // The peer reads again: take its requests again once half is written.
  if (c->pending <= c->impl->max_pending / 2) StartReading(c);
}

void OnRead(uv_stream_t* stream, ssize_t n, const uv_buf_t* b) {
  auto* c = static_cast<Client*>(stream->data);
  if (n == 0) return;  // nothing now (EAGAIN)
  if (n < 0) {
    CloseClient(c);
    return;
  }
  Touch(c);
  std::vector<PolicyRequest> requests;
  c->reader.Feed(std::string_view(b->base, static_cast<size_t>(n)), &requests);
  if (requests.empty()) return;
  auto* w = new Write();
  w->data = c->impl->server->Answer(requests);
  const size_t size = w->data.size();
  uv_buf_t out = uv_buf_init(w->data.data(), static_cast<unsigned>(size));
  if (uv_write(&w->req, stream, &out, 1, OnWritten) != 0) {
    delete w;
    CloseClient(c);
    return;
  }
  c->pending += size;
  // A peer that sends and does not read: its requests wait in the kernel (its
  // writes stall) until it reads; if it never does, it is dropped as idle.
  if (c->pending > c->impl->max_pending) {
    StopReading(c);
    return;
  }
  // Its turn is over: the other connections' requests first (libuv would
  // read this one again up to 32 times before them).
  StopReading(c);
  c->impl->paused.push_back(c);
}

// Who is at the other end: the uid for the Unix socket (SO_PEERCRED); on TCP,
// whose listener is on loopback only, every connection comes from this host,
// from any of its addresses (127.0.0.2, 127.0.0.3, ..., its own public ones),
// and is one peer (each address was a peer with a limit of its own,
// helper-136 F2, helper-138). Per-peer limits count by it.
std::string PeerOf(Client* c, bool tcp) {
  if (tcp) return "tcp";
  uv_os_fd_t fd;
  ucred cred{};
  socklen_t len = sizeof cred;
  if (uv_fileno(c->as_handle(), &fd) == 0 &&
      getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
    return "uid:" + std::to_string(cred.uid);
  return "uid:?";
}

}  // namespace

void OnConnection(uv_stream_t* server, int status) {
  auto* impl = static_cast<PolicyServer::Impl*>(server->data);
  if (status < 0) return;
  auto* c = new Client();
  c->impl = impl;
  const bool tcp = server->type == UV_TCP;
  if (tcp) {
    uv_tcp_init(&impl->loop, &c->handle.tcp);
  } else {
    uv_pipe_init(&impl->loop, &c->handle.pipe, 0);
  }
  c->stream()->data = c;
  if (uv_accept(server, c->stream()) != 0) {
    c->closing = true;
    uv_close(c->as_handle(), OnClosed);
    return;
  }
  c->peer = PeerOf(c, tcp);
  // A fresh request is always served: at a limit, the least recently active
  // connection (the peer's own first) is closed instead.
  if (auto it = impl->per_peer.find(c->peer);
      it != impl->per_peer.end() && it->second >= impl->max_per_peer)
    CloseOldest(impl, c->peer);
  if (impl->open >= impl->max_connections) CloseOldestOfTheBusiestPeer(impl);
  ++impl->per_peer[c->peer];
  ++impl->open;
  c->lru = impl->lru.insert(impl->lru.end(), c);
  c->last_active = uv_now(&impl->loop);
  StartReading(c);
}

void CloseIdle(uv_timer_t* timer) {
  auto* impl = static_cast<PolicyServer::Impl*>(timer->data);
  const uint64_t now = uv_now(&impl->loop);
  while (!impl->lru.empty() && now - impl->lru.front()->last_active >= impl->idle_ms)
    CloseClient(impl->lru.front());
}

void TakeTurns(uv_check_t* check) {
  auto* impl = static_cast<PolicyServer::Impl*>(check->data);
  // Closed ones are freed only after this phase of the loop: still valid.
  for (Client* c : std::exchange(impl->paused, {}))
    if (c->pending <= c->impl->max_pending) StartReading(c);
}

void CloseAtStop(uv_handle_t* handle) { CloseClient(static_cast<Client*>(handle->data)); }

}  // namespace mailtrail::policy_internal
