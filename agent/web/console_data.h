// What the console's pages and its /api/v1 answers show, read from the store.
// The HTML pages render exactly these values (render.h), and the API writes
// them as JSON (api_json.h): one source, so a page and its API cannot disagree.
//
// Thread: a Store (one connection) is not thread-safe; StoreAccess lends the
// server's worker threads its connections, one request at a time.
#ifndef MAILTRAIL_AGENT_WEB_CONSOLE_DATA_H_
#define MAILTRAIL_AGENT_WEB_CONSOLE_DATA_H_

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "agent/store/store.h"
#include "agent/track/block.h"
#include "agent/track/record.h"
#include "base/status.h"

namespace mailtrail::web {

// Connections to the store, lent one request at a time: a long request (the
// first report of a day sums every hour; an export) holds one while the
// others answer the other requests. With one connection every request waited
// for the one before it (docs/web.md).
class StoreAccess {
 public:
  explicit StoreAccess(std::vector<std::unique_ptr<Store>> stores);  // at least one
  // Opens `n` connections with `open`; the first failure is the answer.
  static StatusOr<std::unique_ptr<StoreAccess>> Open(
      int n, const std::function<StatusOr<std::unique_ptr<Store>>()>& open);

  // Runs `fn(store)` on a connection no other thread uses meanwhile, waiting
  // for one to be free.
  template <typename Fn>
  auto With(Fn&& fn) {
    struct Lent {
      StoreAccess* access;
      Store* store;
      ~Lent() { access->GiveBack(store); }
    } lent{this, Borrow()};
    return fn(*lent.store);
  }
  size_t connections() const { return stores_.size(); }

 private:
  Store* Borrow();
  void GiveBack(Store* store);

  std::mutex mu_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<Store>> stores_;
  std::vector<Store*> free_;
};
// How many connections `mailtrail web` and the agent's console keep: a long
// request and two others at once (each SQLite connection caches up to
// kDefaultSqliteCacheMb).
inline constexpr int kWebStoreConnections = 3;

// One page of a search: its records (oldest first) and where the next page
// starts (none: this is the last).
struct SearchPage {
  std::vector<MessageRecord> records;
  std::optional<SearchCursor> next;
  // The search stopped at the store's work bound (kPageWorkRows) before the
  // page was full: `next` goes on from where it stopped.
  bool stopped = false;
  // How many messages the whole search matches (whatever the cursor), counted
  // up to kTotalCap or until the store's work bound (Store::CountMatchesUpTo),
  // so that every page can show it. total_capped: the count stopped at one of
  // the two, and the search matches at least `total` messages, maybe more;
  // total_stopped: at the work bound (else more than kTotalCap match).
  int64_t total = 0;
  bool total_capped = false, total_stopped = false;
};
inline constexpr int64_t kTotalCap = 10000;
// How many rows a page may examine (Store::SearchWithin), as many as its
// total: a page and its total within about 0.2 s (docs/benchmarks.md).
inline constexpr int64_t kPageWorkRows = kCountWorkRows;
// `q.limit` records from `q.after` on, and the total.
StatusOr<SearchPage> FetchSearchPage(Store& store, const SearchQuery& q);

// A message and what concerns it: its record(s) (a queue id can be reused, so
// more than one), the records of its other legs (content filter before and
// after, the NDR it caused or answers, notices), and the blocks of its client
// IP, its subject or listing it as evidence.
struct MessageView {
  std::vector<MessageRecord> records;
  std::vector<MessageRecord> linked;
  std::vector<Block> blocks;
};
StatusOr<MessageView> FetchMessage(Store& store, const std::string& host, const std::string& qid);
// Every leg with this Message-ID (without < >), and their links.
StatusOr<MessageView> FetchByMessageId(Store& store, const std::string& message_id);

}  // namespace mailtrail::web

#endif  // MAILTRAIL_AGENT_WEB_CONSOLE_DATA_H_
