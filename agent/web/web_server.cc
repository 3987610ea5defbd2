#include "agent/web/web_server.h"

#include <httplib.h>
#include <sys/random.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <mutex>

#include "agent/metrics/http_port.h"
#include "agent/web/bounded_server.h"
#include "agent/web/slow_heads.h"

namespace mailtrail::web {

namespace {

// Every answer: no script but our own files, nothing framed, no Referer.
httplib::Headers SecurityHeaders() {
  return {
      {"Content-Security-Policy",
       "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"},
      {"Referrer-Policy", "no-referrer"},
      {"X-Content-Type-Options", "nosniff"},
      {"X-Frame-Options", "DENY"},
      {"Cache-Control", "no-store"},
  };
}

}  // namespace

WebServer::WebServer(StoreAccess* store, const Clock* clock, WebOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {}

WebServer::~WebServer() { Stop(); }

Status WebServer::Bind() {
  std::string host;
  int port = 0;
  const bool authenticated = options_.auth || options_.proxy;
  if (Status st = CheckListen(options_.listen, authenticated, &host, &port); !st.ok()) return st;
  if (options_.writes && (!authenticated || !options_.audit || !options_.guard))
    return Status::InvalidArgument("writes need authentication and an audit file");
  HeadLimits limits;
  limits.read_s = options_.read_timeout_s;
  limits.write_s = options_.write_timeout_s;
  limits.grace_ms = options_.head_grace_ms;
  limits.slow_per_client = options_.slow_heads_per_client;
  // Two workers stay for whole requests, whatever their number.
  limits.slow_in_all =
      std::min<size_t>(options_.slow_heads_in_all, std::max(1, options_.workers - 2));
  server_ = std::make_unique<HeadBoundedServer>(limits, options_.proxy);
  exports_ = std::make_unique<ExportLimiter>(options_.exports);
  const int workers = options_.workers;
  const size_t max_queued = options_.max_queued;
  server_->new_task_queue = [workers, max_queued] { return NewBoundedPool(workers, max_queued); };
  server_->set_payload_max_length(HeadBoundedServer::kMaxBody);
  server_->set_read_timeout(options_.read_timeout_s, 0);
  server_->set_write_timeout(options_.write_timeout_s, 0);
  server_->set_keep_alive_timeout(5);
  server_->set_keep_alive_max_count(1);  // each request's head bounded (HeadBoundedServer)
  server_->set_default_headers(SecurityHeaders());
  BindPortAlone(server_.get());  // a second console on the port is refused
  std::ifstream chart(options_.chartjs_dir + "/chart.umd.min.js");
  if (!chart) chart.open(options_.chartjs_dir + "/chart.min.js");
  if (chart) chartjs_.assign(std::istreambuf_iterator<char>(chart), {});
  if (authenticated) {
    // Every route needs a principal (static files too: nothing is public).
    server_->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      // Wrong credentials are bounded per client (logins_); a trusted
      // proxy's many users share its address and are not counted.
      const bool counted = !options_.proxy || !IsTrustedProxy(*options_.proxy, req.remote_addr);
      const std::string client = SlowHeadClient(req.remote_addr);
      const TimeUs now = clock_->MonotonicNow();
      // Locked out, but for credentials verified lately: a stranger's wrong
      // passwords must not shut out the users behind the same address.
      if (const int wait = counted ? logins_.WaitSeconds(client, now) : 0;
          wait > 0 && !Who(req, /*remembered_only=*/true)) {
        res.status = 429;
        res.set_header("Retry-After", std::to_string(wait));
        res.set_content("too many wrong credentials from this address: try again later\n",
                        "text/plain");
        return httplib::Server::HandlerResponse::Handled;
      }
      if (Who(req)) return httplib::Server::HandlerResponse::Unhandled;
      if (counted && req.has_header("Authorization")) logins_.Add(client, now);
      res.status = 401;
      res.set_header("WWW-Authenticate", "Basic realm=\"mailtrail\", charset=\"UTF-8\"");
      res.set_content("authentication required\n", "text/plain");
      return httplib::Server::HandlerResponse::Handled;
    });
  } else {
    // Loopback without authentication: only for this machine's own names
    // (DNS rebinding would hand every record to a web page).
    server_->set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
      if (HostIsUnrebindable(req.get_header_value("Host")))
        return httplib::Server::HandlerResponse::Unhandled;
      res.status = 421;
      res.set_content(
          "this console answers only requests to an IP address or localhost without "
          "authentication (docs/web.md)\n",
          "text/plain");
      return httplib::Server::HandlerResponse::Handled;
    });
  }
  AddRoutes();
  if (options_.writes) AddWriteRoutes();
  if (port == 0) {
    port_ = server_->bind_to_any_port(host.c_str());
    if (port_ < 0) return Status::Unavailable("cannot listen on " + options_.listen);
  } else {
    if (!server_->bind_to_port(host.c_str(), port))
      return Status::Unavailable("cannot listen on " + options_.listen);
    port_ = port;
  }
  return Status::Ok();
}

std::optional<Principal> WebServer::Who(const httplib::Request& req, bool remembered_only) {
  // The proxy's header counts only from the proxy: from any other address it
  // is ignored, and the request's own credentials decide.
  if (options_.proxy && req.has_header(options_.proxy->header)) {
    // A proxy that appends its header to the client's, instead of replacing
    // it, would let the client's come first: more than one is no one.
    if (req.get_header_value_count(options_.proxy->header) != 1) return std::nullopt;
    if (auto p = ProxyPrincipal(*options_.proxy, req.remote_addr,
                                req.get_header_value(options_.proxy->header)))
      return p;
  }
  if (!options_.auth || !req.has_header("Authorization")) return std::nullopt;
  return options_.auth->Check(req.get_header_value("Authorization"), *clock_, remembered_only);
}

std::string WebServer::CsrfToken(const std::string& user) {
  std::lock_guard<std::mutex> lock(csrf_mu_);
  std::string& t = csrf_[user];
  if (t.empty()) {
    unsigned char bytes[24];
    if (getrandom(bytes, sizeof bytes, 0) != sizeof bytes)
      std::abort();  // no randomness: no tokens
    static constexpr char kHex[] = "0123456789abcdef";
    for (unsigned char b : bytes) {
      t.push_back(kHex[b >> 4]);
      t.push_back(kHex[b & 15]);
    }
  }
  return t;
}

void WebServer::Run() {
  if (server_) server_->listen_after_bind();
}

void WebServer::Stop() {
  if (!server_) return;
  static_cast<HeadBoundedServer*>(server_.get())->BeginStop();
  server_->stop();
}

}  // namespace mailtrail::web
