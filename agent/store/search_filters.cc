#include "agent/store/search_filters.h"

#include <algorithm>

#include "base/cidr.h"
#include "base/text.h"

namespace mailtrail {

namespace {
// Records read from the store per turn while record filters pass few of them.
constexpr int64_t kFilterChunk = 1000;
}  // namespace

std::optional<ByteRange> CidrByteRange(std::string_view cidr) {
  const auto net = Cidr::Parse(cidr);
  if (!net) return std::nullopt;
  ByteRange r{net->base().Bytes(), net->base().Bytes()};
  for (int i = 0; i < static_cast<int>(r.last.size()); ++i) {
    const int keep = std::max(0, std::min(8, net->bits() - 8 * i));
    r.last[i] = static_cast<char>(static_cast<unsigned char>(r.last[i]) | (0xffu >> keep));
  }
  return r;
}

DsnKey ParseDsnKey(std::string_view key) {
  if (!key.empty() && key.back() == '*') return {std::string(key.substr(0, key.size() - 1)), true};
  return {std::string(key), false};
}

bool HasRecordFilters(const SearchQuery& q) { return q.scan_verdict || q.min_score; }

bool MatchesRecordFilters(const SearchQuery& q, const MessageRecord& r) {
  if (!HasRecordFilters(q)) return true;
  const std::string verdict = q.scan_verdict ? AsciiLower(*q.scan_verdict) : "";
  return std::any_of(r.scans.begin(), r.scans.end(), [&](const ScanResult& s) {
    if (q.scan_verdict && AsciiLower(s.verdict) != verdict) return false;
    return !q.min_score || (s.has_score && s.score >= *q.min_score);
  });
}

Status SearchFilteringRecords(const SearchQuery& q, const SqlPageFn& sql_page, const CursorFn& fn) {
  if (!HasRecordFilters(q)) return sql_page(q, fn);
  SearchQuery page = q;
  page.limit = kFilterChunk;
  int64_t passed = 0;
  for (;;) {
    int64_t read = 0;
    std::optional<SearchCursor> last;
    Status st = sql_page(page, [&](MessageRecord&& r, const SearchCursor& at) {
      ++read;
      last = at;
      if (passed >= q.limit || !MatchesRecordFilters(q, r)) return;
      ++passed;
      fn(std::move(r), at);
    });
    if (!st.ok()) return st;
    // Done: enough passed, or the store had no more. A page cut short by the
    // limit ends at the last record passed: the caller's cursor starts there.
    if (passed >= q.limit || read < page.limit) return Status::Ok();
    page.after = last;
  }
}

bool RecipientAndWindowOnly(const SearchQuery& q) {
  SearchQuery bare;
  bare.recipient = q.recipient;
  bare.since = q.since;
  bare.until = q.until;
  bare.limit = q.limit;
  bare.after = q.after;
  return q.recipient && q == bare;
}

}  // namespace mailtrail
