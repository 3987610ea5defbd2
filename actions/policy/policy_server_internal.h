// The policy server's libuv state and connection handling, shared by
// policy_server.cc (listeners, start, stop) and policy_connections.cc (one
// connection's life). Everything here runs on the server's own thread, except
// `open`, read by connections() from any thread.
//
// SECURITY: each connection gets one read (at most 4 KiB of requests) per turn
// of the loop, so hundreds pipelining requests cannot hold back another's
// (helper-136 F1: smtpd's answers took 1.7 s, some over its timeout); each
// connection's memory is bounded (PolicyReader's caps on a
// request; at most max_pending bytes of answers waiting for a peer that does
// not read: its requests are no longer read until it does, and if it never
// does it is dropped as idle); the number of connections is bounded overall and
// per peer, and a fresh connection is always served: at a limit the least
// recently active connection of its peer (at the total: of the peer holding
// the most) is closed instead (Postfix's policy client reconnects when it
// finds its connection closed).
#ifndef MAILTRAIL_ACTIONS_POLICY_POLICY_SERVER_INTERNAL_H_
#define MAILTRAIL_ACTIONS_POLICY_POLICY_SERVER_INTERNAL_H_

#include <uv.h>

#include <atomic>
#include <list>
#include <map>
#include <string>
#include <vector>

#include "actions/policy/policy_server.h"

namespace mailtrail {

namespace policy_internal {
struct Client;
}

struct PolicyServer::Impl {
  uv_loop_t loop;
  uv_pipe_t listener;
  uv_tcp_t tcp_listener;
  uv_timer_t sweep;  // closes idle connections
  uv_check_t turn;   // after each poll: reads again from the connections paused in it
  uv_async_t stop;
  int tcp_port = 0;
  PolicyServer* server = nullptr;
  size_t max_connections = 0, max_per_peer = 0, max_pending = 0;
  uint64_t idle_ms = 0;
  std::list<policy_internal::Client*> lru;       // least recently active first
  std::map<std::string, size_t> per_peer;        // "uid:N" (Unix socket) or "tcp"
  std::vector<policy_internal::Client*> paused;  // answered in this turn (TakeTurns)
  std::atomic<size_t> open{0};
};

namespace policy_internal {

// A new connection on either listener.
void OnConnection(uv_stream_t* server, int status);
// The idle sweep (a repeating timer).
void CloseIdle(uv_timer_t* timer);
// After each poll of the loop: the connections that had requests answered in
// it are read again (each gets one read of its requests per turn).
void TakeTurns(uv_check_t* check);
// At stop: closes a connection's handle (any handle not the server's own).
void CloseAtStop(uv_handle_t* handle);

}  // namespace policy_internal
}  // namespace mailtrail

#endif  // MAILTRAIL_ACTIONS_POLICY_POLICY_SERVER_INTERNAL_H_
