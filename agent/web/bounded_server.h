// The console's HTTP server under cpp-httplib, with bounds the library lacks:
// a fixed pool of workers behind a bounded queue, and each connection's
// request head bounded (size, time, slow heads per client: slow_heads.h)
// before the library reads it; then one request is answered on a stream with
// deadlines, and the connection is closed. docs/web.md, "Security".
#ifndef MAILTRAIL_AGENT_WEB_BOUNDED_SERVER_H_
#define MAILTRAIL_AGENT_WEB_BOUNDED_SERVER_H_

#include <httplib.h>

#include <atomic>
#include <cstddef>
#include <functional>
#include <string>

#include "agent/web/proxy_auth.h"
#include "agent/web/request_head.h"
#include "agent/web/slow_heads.h"

namespace mailtrail::web {

// A fixed pool of `workers` and at most `max_queued` connections waiting for
// one: taking another waits, so the accept thread stops accepting (the
// kernel's backlog holds the rest; httplib's own pool queues without bound).
httplib::TaskQueue* NewBoundedPool(int workers, size_t max_queued);

struct HeadLimits {
  int read_s = 10;     // a request's head and body, whole
  int write_s = 30;    // each write of the answer
  int grace_ms = 200;  // a head not whole by then is slow
  // The grace of a client that may not wait for another slow head (its
  // share, or all clients', is taken): it would be refused after the grace
  // anyway, and one reconnecting as fast as refused held a worker for the
  // whole grace each time.
  int grace_when_full_ms = 20;
  size_t slow_per_client = 2, slow_in_all = 6;
  // An answer's write not taken within this long makes a slow reader: each
  // client may have slow_per_client of them, all clients slow_in_all (apart
  // from slow heads: a browser's idle spare connections must not cut its
  // export), and the next one is cut.
  int slow_reader_ms = 1000;
};

// A request's head is bounded before the library reads it (request_head.h):
// at most 64 KiB, whole within the read timeout; else the connection is
// closed (431 for one too large). Then the library answers it, and the
// connection is closed: one request per connection, so that each request's
// head passes this check. Connections from a trusted proxy (`proxy`, may be
// null) are not counted as slow heads: they are many clients' at once.
class HeadBoundedServer : public httplib::Server {
 public:
  static constexpr size_t kMaxHead = 64 * 1024, kMaxBody = 64 * 1024;

  HeadBoundedServer(const HeadLimits& limits, const ProxyAuth* proxy);

  // WebServer::Stop: connections still waiting for their head are closed
  // (the library's is_running() says false only once every worker is done).
  void BeginStop() { stopping_ = true; }

  // How long a connection from `peer` (an address as text) waits for its
  // head before it is a slow one.
  int GraceFor(const std::string& peer) const;

 private:
  bool process_and_close_socket(socket_t sock) override;

  enum class SlowHead { kWaited, kRefused, kIdle };
  // A head missing after the grace may hold a worker for the rest of the
  // read timeout, within its client's share: kWaited (`*head` is how the
  // wait ended). Beyond the share: kIdle when nothing was sent yet (a
  // browser's spare connection, opened ahead of its request), else kRefused.
  SlowHead WaitForSlowHead(int sock, const std::string& peer, const std::function<bool()>& running,
                           std::string* text, HeadCheck* head);
  // Whether a trusted proxy's user header holds a '%': the library decodes
  // percent escapes in header values, so "p%6Fp" named the operator "pop"
  // (helper-151); such a request is refused (400).
  bool ProxyNamesAnEscape(const std::string& head, const std::string& peer) const;
  // Whether `peer`'s connections count as slow heads (a trusted proxy's are
  // its users').
  bool Counted(const std::string& peer) const;

  const int read_ms_, write_ms_, grace_ms_, grace_when_full_ms_, slow_reader_ms_;
  SlowHeads slow_heads_;
  // Slow readers, a share of their own (per client and in all, as slow
  // heads have): idle connections, which cost nothing, took the room and
  // cut exports when the two shared one (helper-153 F3); with no share in
  // all, four addresses held every worker (helper-155 F2).
  SlowHeads slow_readers_;
  const ProxyAuth* proxy_;
  std::atomic<bool> stopping_{false};
};

}  // namespace mailtrail::web

#endif  // MAILTRAIL_AGENT_WEB_BOUNDED_SERVER_H_
