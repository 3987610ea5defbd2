// What the console's pages and its /api/v1 answers show, read from the store.
// The HTML pages render exactly these values (render.h), and the API writes
// them as JSON (api_json.h): one source, so a page and its API cannot disagree.
//
// Thread: a Store is not thread-safe; StoreAccess lets the server's worker
// threads take turns on the one store, a page at a time.
#ifndef MAILTRAIL_AGENT_WEB_CONSOLE_DATA_H_
#define MAILTRAIL_AGENT_WEB_CONSOLE_DATA_H_

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

class StoreAccess {
 public:
  explicit StoreAccess(std::unique_ptr<Store> store) : store_(std::move(store)) {}
  // Runs `fn(store)` while no other thread uses the store.
  template <typename Fn>
  auto With(Fn&& fn) {
    std::lock_guard<std::mutex> lock(mu_);
    return fn(*store_);
  }

 private:
  std::mutex mu_;
  std::unique_ptr<Store> store_;
};

// One page of a search: its records (oldest first) and where the next page
// starts (none: this is the last).
struct SearchPage {
  std::vector<MessageRecord> records;
  std::optional<SearchCursor> next;
  // How many messages the whole search matches (whatever the cursor), counted
  // up to kTotalCap: at the cap, "more than" (total_capped). Its cost is
  // bounded by the cap (Store::CountMatchesUpTo), so every page shows it.
  int64_t total = 0;
  bool total_capped = false;
};
inline constexpr int64_t kTotalCap = 10000;
// `q.limit` records from `q.after` on, and the total unless !with_total
// (an export's chunks need none).
StatusOr<SearchPage> FetchSearchPage(Store& store, const SearchQuery& q, bool with_total = true);

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
