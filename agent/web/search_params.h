// The web console's search, as its URL holds it: query parameters named like
// `mailtrail search`'s flags (recipient=, client-ip=, since=, ...), a page
// size (limit=) and a keyset cursor (after=). Pure functions: the URL is the
// whole search, so every search is a permalink.
//
// SECURITY: every value comes from the request. Values are length-capped and
// validated here (IP addresses, times, outcomes, numbers); they reach the
// store only as bound parameters.
#ifndef MAILTRAIL_AGENT_WEB_SEARCH_PARAMS_H_
#define MAILTRAIL_AGENT_WEB_SEARCH_PARAMS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/store/store.h"
#include "base/status.h"

namespace mailtrail::web {

inline constexpr int64_t kDefaultPageSize = 100;
inline constexpr int64_t kMaxPageSize = 1000;
inline constexpr size_t kMaxParamBytes = 1000;

// The filter parameters, in the order permalinks list them.
// outcome= is a set ("bounced,deferred"); domain= takes "@example.com" or
// "example.com"; is-bounce= and has-bounce= take yes or no (docs/web.md).
inline constexpr const char* kFilterNames[] = {
    "sender",       "recipient", "client-ip", "qid",        "message-id",
    "subject",      "host",      "helo",      "sasl-user",  "outcome",
    "min-size",     "max-size",  "since",     "until",      "domain",
    "client-cidr",  "dsn",       "relay",     "min-delay",  "max-delay",
    "scan-verdict", "min-score", "is-bounce", "has-bounce", "reject-reason"};

struct WebSearch {
  SearchQuery query;  // limit = the page size; after = the cursor
  // The filters as given (non-empty ones only), in kFilterNames order.
  std::vector<std::pair<std::string, std::string>> filters;
  int64_t page_size = kDefaultPageSize;
};

// `get(name)`: the request's value of a parameter, if present. Empty values
// are no filter (an HTML form sends every field). InvalidArgument names the
// parameter that is wrong.
StatusOr<WebSearch> ParseSearchParams(
    const std::function<std::optional<std::string>(const char*)>& get);

// "recipient=a%40b.test&since=..." : the filters (and limit= when not the
// default), percent-encoded; empty when there are none.
std::string FilterQueryString(const WebSearch& s);

// A cursor as the URL holds it ("1795000000-123": first_seen in seconds, row)
// and back; nullopt when malformed.
std::string EncodeCursor(const SearchCursor& c);
std::optional<SearchCursor> DecodeCursor(const std::string& text);

}  // namespace mailtrail::web

#endif  // MAILTRAIL_AGENT_WEB_SEARCH_PARAMS_H_
