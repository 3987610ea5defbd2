#include "agent/web/search_params.h"

#include "agent/web/escape.h"
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
    q->outcome = OutcomeFromName(v);
    if (!q->outcome) return Bad(name, "not an outcome");
  } else {  // since, until
    TimeUs t;
    if (!ParseRfc3339(v, &t)) return Bad(name, "wants 2026-11-27 or 2026-11-27T11:00:00Z");
    (name == "since" ? q->since : q->until) = t;
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
