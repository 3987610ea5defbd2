// How many connections of one client may wait for a slow request head at
// once (docs/web.md). A head is slow when it has not arrived within a short
// grace: a browser's requests never are (their heads come with the
// connection), a client trickling header lines or sending none always is.
// Each slow head holds a worker up to the read timeout; beyond the client's
// share, its next slow one is refused at once (503) instead of holding
// another worker (closed without an answer when it sent nothing yet, as an
// idle connection is): eight such connections from one address held every
// worker for 10 s (helper-68). All clients together have a share too, smaller
// than the workers, so that several addresses still leave workers for whole
// requests (helper-77). The client is the connection's address, an IPv6 one
// by its /64 (one host may hold many); a trusted proxy's connections are its
// users', and are not counted.
#ifndef MAILTRAIL_AGENT_WEB_SLOW_HEADS_H_
#define MAILTRAIL_AGENT_WEB_SLOW_HEADS_H_

#include <cstddef>
#include <map>
#include <mutex>
#include <string>

namespace mailtrail::web {

// Whom a connection from `peer` (an address as text) is counted against:
// the address, an IPv6 one by its /64 ("2001:db8:1:2::/64": a host holds a
// whole one), an IPv4-mapped one as IPv4.
std::string SlowHeadClient(const std::string& peer);

class SlowHeads {
 public:
  SlowHeads(size_t per_client, size_t in_all) : per_client_(per_client), in_all_(in_all) {}

  // Whether `client` may wait for one more slow head; if so it is counted
  // until Leave(client). Thread-safe.
  bool Enter(const std::string& client);
  void Leave(const std::string& client);
  // Whether Enter(client) would succeed now (a hint: another thread may
  // take the room first).
  bool HasRoom(const std::string& client) const;
  size_t waiting(const std::string& client) const;

 private:
  const size_t per_client_, in_all_;
  mutable std::mutex mu_;
  size_t total_ = 0;
  std::map<std::string, size_t> waiting_;  // only clients with one waiting: bounded by the workers
};

}  // namespace mailtrail::web

#endif  // MAILTRAIL_AGENT_WEB_SLOW_HEADS_H_
