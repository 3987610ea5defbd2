#include "agent/web/search_params.h"

#include <algorithm>
#include <cstdlib>
#include "agent/web/escape.h"

#include "base/cidr.h"
#include "base/civil_time.h"
#include "base/ip_address.h"
#include "base/text.h"

namespace mailtrail::web {

namespace {

bool ParseDigits(const std::string& s, int64_t max, int64_t* out) {
  if (s.empty() || s.size() > 18) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v > max) return false;
  *out = v;
  return true;
}

Status Bad(const std::string& name, const std::string& why) {
  return Status::InvalidArgument("parameter " + name + ": " + why);
}

// A decimal number ("12", "0.25", "-3.5" when negative is allowed).
bool ParseDecimal(const std::string& s, bool negative_ok, double* out) {
  if (s.empty() || s.size() > 24) return false;
  size_t i = negative_ok && s[0] == '-' ? 1 : 0;
  int digits = 0, dots = 0;
  for (size_t j = i; j < s.size(); ++j) {
    if (s[j] == '.') {
      ++dots;
    } else if (s[j] >= '0' && s[j] <= '9') {
      ++digits;
    } else {
      return false;
    }
  }
  if (digits == 0 || dots > 1) return false;
  *out = std::strtod(s.c_str(), nullptr);
  return true;
}

// "5.1.1", "5.1", "5", each optionally followed by ".*": what a DSN key is.
bool IsDsnKey(const std::string& v) {
  std::string body = v;
  if (body.size() >= 2 && body.compare(body.size() - 2, 2, ".*") == 0)
    body.resize(body.size() - 1);  // "5.*" -> "5.", matched as a prefix
  else if (body.size() > 8)
    return false;
  int parts = 0;
  size_t run = 0;
  for (size_t i = 0; i <= body.size(); ++i) {
    if (i == body.size() || body[i] == '.') {
      if (run == 0 && i != body.size()) return false;
      if (run > 0) ++parts;
      run = 0;
    } else if (body[i] >= '0' && body[i] <= '9' && run < 3) {
      ++run;
    } else {
      return false;
    }
  }
  return parts >= 1 && parts <= 3;
}

Status ApplyWebOnlyFilter(const std::string& name, const std::string& v, SearchQuery* q) {
  if (name == "domain") {
    const std::string d = AsciiLower(v[0] == '@' ? v.substr(1) : v);
    if (d.empty() || d.find_first_of("@ \t") != std::string::npos)
      return Bad(name, "wants @example.com");
    q->recipient_domain = d;
  } else if (name == "client-cidr") {
    if (!Cidr::Parse(v)) return Bad(name, "wants a network such as 192.0.2.0/24");
    q->client_cidr = v;
  } else if (name == "dsn") {
    if (!IsDsnKey(v))
      return Bad(name, "wants a DSN such as 5.1.1, or a prefix such as 5.* or 4.7.*");
    q->dsn = v;  // "5.*": a prefix (agent/store/search_filters.h)
  } else if (name == "relay") {
    q->relay = v;
  } else if (name == "min-delay" || name == "max-delay") {
    double d = 0;
    if (!ParseDecimal(v, false, &d)) return Bad(name, "wants seconds, such as 2.5");
    (name == "min-delay" ? q->min_delay : q->max_delay) = d;
  } else if (name == "scan-verdict") {
    q->scan_verdict = v;
  } else if (name == "min-score") {
    double d = 0;
    if (!ParseDecimal(v, true, &d)) return Bad(name, "wants a number, such as 5 or -1.5");
    q->min_score = d;
  } else if (name == "is-bounce" || name == "has-bounce") {
    if (v != "yes" && v != "no") return Bad(name, "wants yes or no");
    (name == "is-bounce" ? q->is_bounce : q->has_bounce) = v == "yes";
  } else {  // reject-reason
    q->reject_text = v;
  }
  return Status::Ok();
}

// Sets the query's field for one filter; the value is already non-empty.
Status ApplyFilter(const std::string& name, const std::string& v, SearchQuery* q) {
  if (name == "sender") {
    q->sender = AsciiLower(v == "<>" ? "" : v);  // "<>" is how a form says the null sender
  } else if (name == "recipient") {
    q->recipient = AsciiLower(v);
  } else if (name == "client-ip") {
    if (!IpAddress::Parse(v)) return Bad(name, "not an IP address");
    q->client_ip = v;
  } else if (name == "qid") {
    q->qid = v;
  } else if (name == "message-id") {
    q->message_id =
        v.size() >= 2 && v.front() == '<' && v.back() == '>' ? v.substr(1, v.size() - 2) : v;
  } else if (name == "subject") {
    q->subject = v;
  } else if (name == "host") {
    q->host = v;
  } else if (name == "helo") {
    q->helo = v;
  } else if (name == "sasl-user") {
    q->sasl_username = v;
  } else if (name == "min-size" || name == "max-size") {
    int64_t n = 0;
    if (!ParseDigits(v, int64_t{1} << 50, &n)) return Bad(name, "wants a number of bytes");
    (name == "min-size" ? q->min_size : q->max_size) = n;
  } else if (name == "outcome") {
    // A set: a message matches by its outcome or, when mixed, its recipients'.
    for (size_t at = 0; at <= v.size();) {
      const size_t comma = std::min(v.find(',', at), v.size());
      const std::string one = v.substr(at, comma - at);
      at = comma + 1;
      const auto o = OutcomeFromName(one);
      if (!o) return Bad(name, "not an outcome: " + one);
      q->outcomes.push_back(*o);
    }
  } else if (name == "since" || name == "until") {
    TimeUs t;
    if (!ParseRfc3339(v, &t)) return Bad(name, "wants 2026-11-27 or 2026-11-27T11:00:00Z");
    (name == "since" ? q->since : q->until) = t;
  } else {
    return ApplyWebOnlyFilter(name, v, q);
  }
  return Status::Ok();
}

}  // namespace

StatusOr<WebSearch> ParseSearchParams(
    const std::function<std::optional<std::string>(const char*)>& get) {
  WebSearch s;
  for (const char* name : kFilterNames) {
    auto v = get(name);
    if (!v || v->empty()) continue;
    if (v->size() > kMaxParamBytes) return Bad(name, "too long");
    if (Status st = ApplyFilter(name, *v, &s.query); !st.ok()) return st;
    s.filters.emplace_back(name, *v);
  }
  if (auto v = get("limit"); v && !v->empty()) {
    if (!ParseDigits(*v, kMaxPageSize, &s.page_size) || s.page_size < 1)
      return Bad("limit", "wants 1.." + std::to_string(kMaxPageSize));
  }
  s.query.limit = s.page_size;
  if (auto v = get("after"); v && !v->empty()) {
    s.query.after = DecodeCursor(*v);
    if (!s.query.after) return Bad("after", "not a cursor");
  }
  return s;
}

std::string FilterQueryString(const WebSearch& s) {
  std::string out;
  for (const auto& [name, value] : s.filters) {
    if (!out.empty()) out += '&';
    out += name + "=" + UrlEncode(value);
  }
  if (s.page_size != kDefaultPageSize) {
    if (!out.empty()) out += '&';
    out += "limit=" + std::to_string(s.page_size);
  }
  return out;
}

std::string EncodeCursor(const SearchCursor& c) {
  return std::to_string(c.first_seen / kUsPerSecond) + "-" + std::to_string(c.row);
}

std::optional<SearchCursor> DecodeCursor(const std::string& text) {
  const size_t dash = text.find('-');
  if (dash == std::string::npos) return std::nullopt;
  int64_t t = 0, row = 0;
  constexpr int64_t kMaxSeconds = int64_t{1} << 40;
  if (!ParseDigits(text.substr(0, dash), kMaxSeconds, &t) ||
      !ParseDigits(text.substr(dash + 1), INT64_MAX / 2, &row))
    return std::nullopt;
  return SearchCursor{t * kUsPerSecond, row};
}

}  // namespace mailtrail::web
