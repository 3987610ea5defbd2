#include "agent/web/console_data.h"

#include <algorithm>
#include <set>
#include <utility>

#include "base/text.h"

namespace mailtrail::web {

StoreAccess::StoreAccess(std::vector<std::unique_ptr<Store>> stores) : stores_(std::move(stores)) {
  for (const auto& s : stores_) free_.push_back(s.get());
}

StatusOr<std::unique_ptr<StoreAccess>> StoreAccess::Open(
    int n, const std::function<StatusOr<std::unique_ptr<Store>>()>& open) {
  std::vector<std::unique_ptr<Store>> stores;
  for (int i = 0; i < std::max(n, 1); ++i) {
    auto s = open();
    if (!s.ok()) return s.status();
    stores.push_back(std::move(*s));
  }
  return std::make_unique<StoreAccess>(std::move(stores));
}

Store* StoreAccess::Borrow() {
  std::unique_lock<std::mutex> lock(mu_);
  returned_.wait(lock, [this] { return !free_.empty(); });
  Store* s = free_.back();
  free_.pop_back();
  return s;
}

void StoreAccess::GiveBack(Store* store) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(store);
  }
  returned_.notify_one();
}

namespace {

// A message is (host, qid, first_seen) in the store (Store::SkipHeldRecords).
bool SameMessage(const MessageRecord& a, const MessageRecord& b) {
  return a.host == b.host && a.qid == b.qid && a.first_seen == b.first_seen;
}

bool Holds(const std::vector<MessageRecord>& v, const MessageRecord& r) {
  return std::any_of(v.begin(), v.end(), [&](const MessageRecord& x) { return SameMessage(x, r); });
}

Status AddByQid(Store& store, const std::string& host, const std::string& qid,
                std::vector<MessageRecord>* out) {
  SearchQuery q;
  q.host = host;
  q.qid = qid;
  q.limit = 20;  // a reused queue id: a few records at most
  return store.Search(q, [&](MessageRecord&& r) { out->push_back(std::move(r)); });
}

// The other legs of `records`: each link followed one step on the same host.
Status AddLinked(Store& store, MessageView* v) {
  std::set<std::pair<std::string, std::string>> wanted;
  for (const MessageRecord& r : v->records) {
    auto want = [&](const std::string& qid) {
      if (!qid.empty() && qid != r.qid) wanted.emplace(r.host, qid);
    };
    want(r.parent_qid);
    for (const std::string& c : r.child_qids) want(c);
    want(r.ndr_qid);
    want(r.ndr_of);
    for (const std::string& n : r.notice_qids) want(n);
  }
  for (const auto& [host, qid] : wanted) {
    std::vector<MessageRecord> found;
    if (Status st = AddByQid(store, host, qid, &found); !st.ok()) return st;
    for (MessageRecord& r : found)
      if (!Holds(v->records, r) && !Holds(v->linked, r)) v->linked.push_back(std::move(r));
  }
  return Status::Ok();
}

bool Concerns(const Block& b, const MessageRecord& r) {
  if (std::find(b.evidence.begin(), b.evidence.end(), r.qid) != b.evidence.end() && !r.qid.empty())
    return true;
  if ((b.kind == BlockKind::kIp) && !r.client_ip.empty()) return b.key == r.client_ip;
  if (b.kind == BlockKind::kSubject && r.subject) {
    if (std::find(b.raw_subjects.begin(), b.raw_subjects.end(), *r.subject) != b.raw_subjects.end())
      return true;
    return !b.key.empty() && LowerUtf8(*r.subject).find(b.key) != std::string::npos;
  }
  return false;
}

Status AddBlocks(Store& store, MessageView* v) {
  auto blocks = store.LoadBlocks(-1);
  if (!blocks.ok()) return blocks.status();
  for (Block& b : *blocks) {
    const bool concerns = std::any_of(v->records.begin(), v->records.end(),
                                      [&](const MessageRecord& r) { return Concerns(b, r); });
    if (concerns) v->blocks.push_back(std::move(b));
  }
  return Status::Ok();
}

StatusOr<MessageView> Complete(Store& store, MessageView v) {
  if (v.records.empty()) return Status::NotFound("no such message");
  if (Status st = AddLinked(store, &v); !st.ok()) return st;
  if (Status st = AddBlocks(store, &v); !st.ok()) return st;
  return v;
}

}  // namespace

StatusOr<SearchPage> FetchSearchPage(Store& store, const SearchQuery& q) {
  SearchQuery one_more = q;
  ++one_more.limit;  // whether there is a next page, without a count
  SearchPage page;
  std::optional<SearchCursor> last;
  bool more = false;
  std::optional<SearchCursor> resume;
  Status st = store.SearchWithin(
      one_more, kPageWorkRows,
      [&](MessageRecord&& r, const SearchCursor& at) {
        if (static_cast<int64_t>(page.records.size()) == q.limit) {
          more = true;
          return;
        }
        page.records.push_back(std::move(r));
        last = at;
      },
      &resume);
  if (!st.ok()) return st;
  if (more) page.next = last;
  if (resume && !more) {
    page.next = resume;
    page.stopped = true;
  }
  // What the page proved: a whole first page is the whole search; any page
  // shows that many matches, and one more when there is a next page. A first
  // page stopped at its work bound is not counted further: the count would
  // read the same rows from the window's start and stop as early.
  const auto shown = static_cast<int64_t>(page.records.size()) + (more ? 1 : 0);
  MatchCount count{shown, page.stopped};
  if (q.after || (page.next && !page.stopped)) {
    auto total = store.CountMatchesUpTo(q, kTotalCap + 1);
    if (!total.ok()) return total.status();
    count = *total;
    // A count stopped before it reached what the page read: the page's.
    if (count.stopped) count.n = std::max(count.n, shown);
  }
  page.total_stopped = count.stopped && count.n <= kTotalCap;
  page.total_capped = count.n > kTotalCap || page.total_stopped;
  page.total = std::min(count.n, kTotalCap);
  return page;
}

StatusOr<MessageView> FetchMessage(Store& store, const std::string& host, const std::string& qid) {
  MessageView v;
  if (Status st = AddByQid(store, host, qid, &v.records); !st.ok()) return st;
  return Complete(store, std::move(v));
}

StatusOr<MessageView> FetchByMessageId(Store& store, const std::string& message_id) {
  MessageView v;
  SearchQuery q;
  q.message_id = message_id;
  q.limit = 50;
  Status st = store.Search(q, [&](MessageRecord&& r) { v.records.push_back(std::move(r)); });
  if (!st.ok()) return st;
  return Complete(store, std::move(v));
}

}  // namespace mailtrail::web
