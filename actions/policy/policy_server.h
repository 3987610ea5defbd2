// PolicyServer: answers Postfix's policy delegation requests on a Unix socket
// and/or a loopback TCP port (`check_policy_service inet:127.0.0.1:10031`),
// on a thread and libuv loop of its own, so that an answer never waits for the
// log reading (a slow disk, a big batch). The table of blocked clients is
// swapped in whole by SetTable() from any thread. What it cannot answer gets
// DUNNO; if it is not running, Postfix's smtpd_policy_service_default_action
// (DUNNO, docs/postfix.md) lets mail flow.
#ifndef MAILTRAIL_ACTIONS_POLICY_POLICY_SERVER_H_
#define MAILTRAIL_ACTIONS_POLICY_POLICY_SERVER_H_

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "actions/policy/policy_protocol.h"
#include "base/status.h"

namespace mailtrail {

class PolicyServer {
 public:
  struct Options {
    std::string socket_path;  // "" = no Unix socket
    std::string tcp_listen;   // "" = none; else a loopback HOST:PORT (port 0: any)
    std::string reply = "450 4.7.1 Service temporarily unavailable";
    // ... and to its bounces (PolicyReplies; ValidBounceAction); "" = reply.
    std::string bounce_action;
    // The Unix socket is for smtpd only: group postfix, not world-writable
    // (whoever can connect can hold connections). A group that does not exist
    // or cannot be set is an error if required, else a notice().
    int socket_mode = 0660;
    std::string socket_group = "postfix";  // "" = leave the group as created
    bool socket_group_required = false;
    // Connections: at most this many, and per peer (uid on the Unix socket,
    // address on TCP); at a limit the least recently active one is closed so
    // that a fresh request is always answered. Lowered to fit the open-files
    // limit (said in notice()).
    size_t max_connections = 512;
    size_t max_connections_per_peer = 384;
    // A connection with no request and no answer written for this long is
    // closed (Postfix's policy client reconnects by itself).
    int idle_timeout_ms = 330000;  // over Postfix's max_idle, 300 s
    // Answers waiting for a peer that does not read: past this, its requests
    // are not read until it reads (then it is dropped as idle).
    size_t max_pending_output = 64 * 1024;
  };
  static StatusOr<std::unique_ptr<PolicyServer>> Start(const Options& options);
  ~PolicyServer();  // stops, joins, removes the socket

  void SetTable(PolicyTable table);
  int64_t requests() const { return requests_; }
  int64_t blocked() const { return blocked_; }
  int tcp_port() const;
  size_t connections() const;  // open now
  // What was adjusted or could not be set at start ("" if nothing): the caller says it.
  const std::string& notice() const { return notice_; }  // the TCP port listened on (0: none)
  // The answers to `requests` (called on the server's thread).
  std::string Answer(const std::vector<PolicyRequest>& requests);

  struct Impl;  // libuv state: only policy_server.cc includes <uv.h>

 private:
  explicit PolicyServer(Options options);
  std::shared_ptr<const PolicyTable> table() const;

  Options options_;
  const PolicyReplies replies_;
  std::string notice_;
  mutable std::mutex mu_;
  std::shared_ptr<const PolicyTable> table_;
  std::atomic<int64_t> requests_{0}, blocked_{0};
  std::unique_ptr<Impl> impl_;
  std::thread thread_;
  ino_t socket_ino_ = 0;  // the socket file we made: removed only while it is ours
};

}  // namespace mailtrail

#endif  // MAILTRAIL_ACTIONS_POLICY_POLICY_SERVER_H_
