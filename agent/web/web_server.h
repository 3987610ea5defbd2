// WebServer: the console over HTTP (cpp-httplib). Routes call console_data.h
// for the values and render.h / api_json.h to write them; nothing else.
//
// Threads: httplib's accept thread plus a fixed pool of workers taking
// connections from a bounded queue (when it is full, accepting waits: the
// kernel's backlog holds the rest), so connections and memory stay bounded.
// The store is used by one worker at a time (StoreAccess).
//
// SECURITY: the console shows every address mail touched. It listens on
// loopback unless authentication is configured (CheckListen); it is
// read-only (no write route exists); every answer carries a
// Content-Security-Policy without inline script, Referrer-Policy no-referrer
// (URLs hold addresses), nosniff and frame denial; request line and headers
// are capped by httplib (8 KiB each), bodies at 64 KiB, page sizes at 1000,
// exports by ExportLimiter (429); slow clients time out.
#ifndef MAILTRAIL_AGENT_WEB_WEB_SERVER_H_
#define MAILTRAIL_AGENT_WEB_WEB_SERVER_H_

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "agent/cli/block_guard.h"
#include "agent/web/audit_log.h"
#include "agent/web/auth.h"
#include "agent/web/client_window.h"
#include "agent/web/console_data.h"
#include "agent/web/export_limiter.h"
#include "agent/web/proxy_auth.h"
#include "agent/web/report_cache.h"
#include "agent/web/web_settings.h"  // CheckListen
#include "base/clock.h"
#include "base/status.h"

namespace httplib {
class Server;
struct Request;
}  // namespace httplib

namespace mailtrail::web {

struct WebOptions {
  std::string listen = "127.0.0.1:8025";
  // Where Debian's libjs-chart.js puts Chart.js (served as /static/chart.js).
  std::string chartjs_dir = "/usr/share/javascript/chart.js";
  // Null: no authentication (then only a loopback listen is allowed).
  Authenticator* auth = nullptr;
  // Null: no proxy header is believed (agent/web/proxy_auth.h). Either this or
  // `auth` is authentication.
  const ProxyAuth* proxy = nullptr;
  // Writes (block add / extend / remove) exist only when enabled, need an
  // authenticated operator, a CSRF token and a same-origin Origin, and are
  // recorded in `audit`. `guard` is what `mailtrail blocks add` refuses.
  bool writes = false;
  AuditLog* audit = nullptr;
  const cli::BlockGuard* guard = nullptr;
  int workers = 8;
  size_t max_queued = 32;  // accepted connections waiting for a worker
  // A client's connections whose head is still missing after the grace
  // (slow_heads.h): at most this many wait, the rest are refused at once.
  size_t slow_heads_per_client = 2;
  size_t slow_heads_in_all = 6;  // of the 8 workers: two left for whole requests
  int head_grace_ms = 200;
  int read_timeout_s = 10;          // a client that sends nothing this long is cut
  int write_timeout_s = 30;         // ... or reads nothing
  ExportLimits exports;             // exports at once, and per client per minute
  int64_t report_records = 200000;  // a report not made by the hour sums at most these
};

// The rows a report not made by the hour may examine to find its
// `report_records` records (Store::SearchFirstWithin): about what
// reading that many records costs, so that a filter that matches few of a
// large store's records stops there, not at the end of the store. A report
// of a whole store of 53k generated messages (SearchWithin's first query has
// a quarter of the bound, then time slices) was cut short at 20 rows a record
// on SQLite and at 40 on MariaDB, whole at 80 on both (docs/web.md).
inline int64_t ReportWorkRows(int64_t report_records) {
  constexpr int64_t kPerRecord = 80;
  return report_records > INT64_MAX / kPerRecord ? INT64_MAX : report_records * kPerRecord;
}

class WebServer {
 public:
  // `store` and `clock` outlive the server.
  WebServer(StoreAccess* store, const Clock* clock, WebOptions options);
  ~WebServer();
  WebServer(const WebServer&) = delete;
  WebServer& operator=(const WebServer&) = delete;

  // Checks the options and binds; the port chosen when the listen port is 0.
  Status Bind();
  int port() const { return port_; }
  // Serves until Stop() (from another thread or a signal handler's thread).
  void Run();
  void Stop();

 private:
  void AddRoutes();  // the read-only routes, by page:
  void AddSearchRoutes();
  void AddMessageRoutes();
  void AddBlockRoutes();
  void AddReportRoutes();
  void AddStatusRoutes();
  void AddStaticRoutes();
  void AddWriteRoutes();
  // The request's principal: nullopt without authentication configured.
  // `remembered_only`: without computing a hash (Authenticator::Check).
  std::optional<Principal> Who(const httplib::Request& req, bool remembered_only = false);
  // The CSRF token of `user` (made on first use, random, kept until exit).
  std::string CsrfToken(const std::string& user);
  StoreAccess* store_;
  const Clock* clock_;
  std::string chartjs_;  // Chart.js, read at Bind; empty when not installed
  WebOptions options_;
  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
  std::unique_ptr<ExportLimiter> exports_;  // made at Bind
  // Wrong credentials per client (an address; an IPv6 one by its /64, as
  // SlowHeadClient). Each is a yescrypt hash of tens of milliseconds, and
  // they were answered as fast as they came: 1,113 in 10 s from one address
  // (helper-129). Past kMaxLoginFailures a minute a client is answered 429
  // before any hash. A name is never locked: anyone could lock its user out.
  static constexpr int kMaxLoginFailures = 10;
  ClientWindow logins_{kMaxLoginFailures, 60 * kUsPerSecond};
  // Write attempts per user: at most kWritesPerMinute.
  static constexpr int kWritesPerMinute = 60;
  ClientWindow writes_{kWritesPerMinute, 60 * kUsPerSecond};
  std::mutex writes_mu_;
  std::map<std::string, TimeUs> write_refusal_audited_until_;  // per user
  ReportCache reports_;                                        // the reports' sealed hours
  std::mutex csrf_mu_;
  std::map<std::string, std::string> csrf_;
};

}  // namespace mailtrail::web

#endif  // MAILTRAIL_AGENT_WEB_WEB_SERVER_H_
