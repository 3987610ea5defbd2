// The write routes (they exist only with `mailtrail web --writes`): block add,
// extend and remove, by POST, with the same checks as `mailtrail blocks`
// (cli::ManualBlock, cli::SetBlockEndsByKey).
//
// SECURITY: a write needs, in this order, an authenticated principal (the
// pre-routing handler), the operator role, an Origin that is this server's
// own (its Host, http or https) when the browser sends one, and the user's
// CSRF token (the form field `csrf`, never in the URL; GET /api/v1/csrf
// gives it). Anything else is 403 and
// changes nothing. Every write that reaches a handler is recorded in the
// audit table, refused or not.
#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <string_view>

#include "agent/cli/block_ends.h"
#include "agent/web/web_server.h"
#include "base/text.h"

namespace mailtrail::web {

namespace {

// The browser's Origin names this server: its Host, by http or by https
// (a TLS reverse proxy in front that passes the Host on; the page was
// served from that host either way, so no other site's page can send it).
bool SameOrigin(const std::string& origin, const std::string& host) {
  return !host.empty() && (origin == "http://" + host || origin == "https://" + host);
}

constexpr TimeUs kMaxPeriod = 30LL * 86400 * kUsPerSecond;

// "90s", "30m", "1h", "2d" -> microseconds; -1 when malformed or over 30 days.
TimeUs ParsePeriod(const std::string& s) {
  if (s.size() < 2 || s.size() > 8) return -1;
  int64_t n = 0;
  for (size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    n = n * 10 + (s[i] - '0');
  }
  const char unit = s.back();
  const int64_t mult = unit == 's'   ? 1
                       : unit == 'm' ? 60
                       : unit == 'h' ? 3600
                       : unit == 'd' ? 86400
                                     : 0;
  const TimeUs t = n * mult * kUsPerSecond;
  return mult == 0 || n == 0 || t > kMaxPeriod ? -1 : t;
}

bool SameToken(const std::string& a, const std::string& b) {
  if (a.size() != b.size() || a.empty()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string Param(const httplib::Request& req, const char* name) {
  return req.has_param(name) ? req.get_param_value(name) : "";
}

// A query key as cpp-httplib reads it: percent escapes decoded ("%63srf" is
// "csrf", helper-155).
std::string DecodedKey(std::string_view key) {
  std::string out;
  for (size_t i = 0; i < key.size(); ++i) {
    const auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
    if (key[i] == '%' && i + 2 < key.size() && hex(key[i + 1]) && hex(key[i + 2])) {
      out.push_back(static_cast<char>(std::stoi(std::string(key.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(key[i] == '+' ? ' ' : key[i]);
    }
  }
  return out;
}

// Whether the request's URL (its target, query included) names `csrf`.
bool CsrfInUrl(const std::string& target) {
  const size_t q = target.find('?');
  if (q == std::string::npos) return false;
  std::string_view rest = std::string_view(target).substr(q + 1);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string_view item = rest.substr(0, amp);
    if (DecodedKey(item.substr(0, item.find('='))) == "csrf") return true;
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
  }
  return false;
}

bool WantsHtml(const httplib::Request& req) {
  return req.get_header_value("Accept").find("text/html") != std::string::npos;
}

}  // namespace

void WebServer::AddWriteRoutes() {
  httplib::Server& s = *server_;
  s.Get("/api/v1/csrf", [this](const httplib::Request& req, httplib::Response& res) {
    const auto who = Who(req);
    std::string out = "{\"csrf\":";
    AppendJsonString(&out, CsrfToken(who->name));
    out += ",\"user\":";
    AppendJsonString(&out, who->name);
    out += std::string(",\"role\":\"") + RoleName(who->role) + "\"}";
    res.set_content(out, "application/json");
  });

  // One write: checks, does `act` (which says what it did or why not), audits.
  auto write = [this](const char* action, const httplib::Request& req, httplib::Response& res,
                      const std::function<Status(Store&, std::string*)>& act) {
    const auto who = Who(req);  // set: the pre-routing handler let it through
    // Every attempt was an audit row: a viewer posting refused writes in a
    // loop grew the audit file by 138 MB in 10 s, beside the store
    // (helper-129). Beyond kWritesPerMinute a user's attempts are refused
    // (429) and only the first refusal of each minute is audited.
    const TimeUs now = clock_->MonotonicNow();
    bool limited = false, audit_it = true;
    if (!writes_.TryAdd(who->name, now)) {
      limited = true;
      std::lock_guard<std::mutex> lock(writes_mu_);
      TimeUs& until = write_refusal_audited_until_[who->name];
      audit_it = now >= until;
      if (audit_it) until = now + 60 * kUsPerSecond;
    }
    AuditEntry e;
    e.time = clock_->WallNow();
    e.user = who->name;
    e.role = RoleName(who->role);
    e.remote_addr = req.remote_addr;
    e.action = action;
    e.kind = Param(req, "kind");
    e.key = CapField(Param(req, "key"));
    e.detail = "for=" + CapField(Param(req, "for")) + " reason=" + CapField(Param(req, "reason"));
    int status = 200;
    std::string message;
    const std::string origin = req.get_header_value("Origin");
    if (limited) {
      status = 429, message = "too many write attempts: at most " +
                              std::to_string(kWritesPerMinute) +
                              " a minute (further refusals this minute are not audited)";
      res.set_header("Retry-After",
                     std::to_string(std::max(1, writes_.WaitSeconds(who->name, now))));
    } else if (who->role != Role::kOperator) {
      status = 403, message = "forbidden: the operator role is needed";
    } else if (!origin.empty() && !SameOrigin(origin, req.get_header_value("Host"))) {
      status = 403, message = "forbidden: a request from another origin";
    } else if (CsrfInUrl(req.target)) {
      // A token in the URL ends up in access logs, history and proxies'
      // logs; the form body is its place (helper-151).
      status = 403, message = "forbidden: the CSRF token goes in the form body, not the URL";
    } else if (!SameToken(Param(req, "csrf"), CsrfToken(who->name))) {
      status = 403, message = "forbidden: missing or wrong CSRF token";
    } else {
      // Each write is one store statement (cli::SetBlockEndsByKey, SaveBlocks):
      // writes on the pool's other connections, or from `mailtrail blocks`,
      // cannot interleave with it.
      Status st = store_->With([&](Store& store) { return act(store, &message); });
      if (!st.ok()) {
        status = st.code() == Status::Code::kInvalidArgument ? 400
                 : st.code() == Status::Code::kNotFound      ? 404
                                                             : 500;
        message = st.message();
      }
    }
    e.result = std::to_string(status) + " " + message;
    if (Status st = audit_it ? options_.audit->Append(e) : Status::Ok(); !st.ok()) {
      status = 500;  // the write happened (or not) but is not recorded: say so
      message += "; NOT AUDITED: " + st.message();
    }
    res.status = status;
    if (status == 200 && WantsHtml(req)) return res.set_redirect("/blocks", 303);
    std::string out = status == 200 ? "{\"ok\":" : "{\"error\":";
    AppendJsonString(&out, message);
    res.set_content(out + "}", "application/json");
  };

  s.Post("/api/v1/blocks/add", [this, write](const httplib::Request& req, httplib::Response& res) {
    write("block add", req, res, [&](Store& store, std::string* message) -> Status {
      const TimeUs period = ParsePeriod(Param(req, "for"));
      if (period < 0)
        return Status::InvalidArgument("for: a duration like 90s, 30m, 1h, 2d (<= 30d)");
      auto b = cli::ManualBlock(*options_.guard, Param(req, "kind"), Param(req, "key"),
                                Param(req, "reason"), clock_->WallNow(), period);
      if (!b.ok()) return b.status();
      if (Status st = store.SaveBlocks({*b}); !st.ok()) return st;
      *message = "blocked " + std::string(BlockKindName(b->kind)) + " " + b->key + " until " +
                 FormatRfc3339(b->expires);
      return Status::Ok();
    });
  });

  s.Post("/api/v1/blocks/extend",
         [this, write](const httplib::Request& req, httplib::Response& res) {
           write("block extend", req, res, [&](Store& store, std::string* message) -> Status {
             const TimeUs period = ParsePeriod(Param(req, "for"));
             if (period < 0)
               return Status::InvalidArgument("for: a duration like 90s, 30m, 1h, 2d (<= 30d)");
             const TimeUs now = clock_->WallNow();
             const std::string key = Param(req, "key");
             auto n = cli::SetBlockEndsByKey(store, key, now, now + period);
             if (!n.ok()) return n.status();
             if (*n == 0) {
               auto why = cli::WhyNotExtended(store, key, now);
               return why.ok() ? Status::NotFound(*why) : why.status();
             }
             *message = std::to_string(*n) + " block(s) extended to " + FormatRfc3339(now + period);
             return Status::Ok();
           });
         });

  s.Post("/api/v1/blocks/remove",
         [this, write](const httplib::Request& req, httplib::Response& res) {
           write("block remove", req, res, [&](Store& store, std::string* message) -> Status {
             const std::string key = Param(req, "key");
             const TimeUs now = clock_->WallNow();
             auto n = cli::SetBlockEndsByKey(store, key, now, now);
             if (!n.ok()) return n.status();
             if (*n == 0) return Status::NotFound("no active block of " + key);
             *message = std::to_string(*n) + " block(s) ended";
             return Status::Ok();
           });
         });
}

}  // namespace mailtrail::web
