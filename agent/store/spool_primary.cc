// SpoolStore's calls that go straight to the primary, under its lock: reads,
// line statistics, purges, blocks, fleet counts and agent status. What is in
// the spool is not seen by them until it is drained (spool_store.cc).
#include "agent/store/spool_store.h"

namespace mailtrail {

Status SpoolStore::Search(const SearchQuery& q, const std::function<void(MessageRecord&&)>& fn) {
  std::lock_guard<std::mutex> p(primary_mu_);
  return primary_->Search(q, fn);
}

Status SpoolStore::SearchForSummary(const SearchQuery& q,
                                    const std::function<void(MessageRecord&&)>& fn) {
  std::lock_guard<std::mutex> p(primary_mu_);
  return primary_->SearchForSummary(q, fn);
}

Status SpoolStore::SearchWithCursor(
    const SearchQuery& q, const std::function<void(MessageRecord&&, const SearchCursor&)>& fn) {
  std::lock_guard<std::mutex> p(primary_mu_);
  return primary_->SearchWithCursor(q, fn);
}

Status SpoolStore::SearchWithin(const SearchQuery& q, int64_t work_rows,
                                const std::function<void(MessageRecord&&, const SearchCursor&)>& fn,
                                std::optional<SearchCursor>* resume) {
  std::lock_guard<std::mutex> p(primary_mu_);
  return primary_->SearchWithin(q, work_rows, fn, resume);
}

Status SpoolStore::SearchFirstWithin(const SearchQuery& q, int64_t work_rows,
                                     const std::function<void(MessageRecord&&)>& fn,
                                     bool* stopped) {
  std::lock_guard<std::mutex> p(primary_mu_);
  return primary_->SearchFirstWithin(q, work_rows, fn, stopped);
}

StatusOr<int64_t> SpoolStore::CountMatches(const SearchQuery& q) {
  std::lock_guard<std::mutex> p(primary_mu_);
  return primary_->CountMatches(q);
}

StatusOr<MatchCount> SpoolStore::CountMatchesUpTo(const SearchQuery& q, int64_t cap,
                                                  int64_t work_rows) {
  std::lock_guard<std::mutex> p(primary_mu_);
  return primary_->CountMatchesUpTo(q, cap, work_rows);
}

StatusOr<std::vector<SliceStamp>> SpoolStore::SliceStamps(TimeUs since, TimeUs until,
                                                          TimeUs width) {
  // Records still in the spool are not in the primary's stamps: a report of
  // their hours is made again once they are drained (their ids are new).
  std::lock_guard<std::mutex> p(primary_mu_);
  return primary_->SliceStamps(since, until, width);
}

Status SpoolStore::AddLineStats(const LineStats& stats) {
  std::lock_guard<std::mutex> p(primary_mu_);
  return primary_->AddLineStats(stats);
}

StatusOr<LineStats> SpoolStore::GetLineStats() {
  std::lock_guard<std::mutex> p(primary_mu_);
  return primary_->GetLineStats();
}

StatusOr<std::map<std::string, int64_t>> SpoolStore::CountByOutcome() {
  std::lock_guard<std::mutex> p(primary_mu_);
  return primary_->CountByOutcome();
}

StatusOr<int64_t> SpoolStore::PurgeBefore(int64_t day) {
  std::lock_guard<std::mutex> p(primary_mu_);
  return primary_->PurgeBefore(day);
}

std::string SpoolStore::PurgePending() {
  std::lock_guard<std::mutex> p(primary_mu_);
  return primary_->PurgePending();
}

// While batches wait in the spool, the agent's calls of the moment go to the
// primary only when its last answer did not say it is away and no drain is
// using it: else each would wait out the server's timeout on the writer's
// thread while it hangs, and hold the record batches behind it (helper-102
// F4, helper-109). The agent keeps what they carry and tries again later.
// Batches alone do not make it away: a restart with batches left, a drain
// under way, a batch the store refuses for good (a data error) all have a
// primary that answers, and the blocks to restore, save and refresh must
// reach it (helper-108).
Status SpoolStore::PrimaryForControl(std::unique_lock<std::mutex>* p, bool behind_the_drain) {
  *p = std::unique_lock<std::mutex>(primary_mu_, std::try_to_lock);
  bool spooling, away;
  {
    std::lock_guard<std::mutex> l(spool_mu_);
    spooling = spooled_batches_ > 0;
    away = primary_away_;
  }
  if (!spooling) {
    if (!p->owns_lock()) p->lock();  // a batch being written: wait, as any store call does
    return Status::Ok();
  }
  if (p->owns_lock() && !away) return Status::Ok();
  if (!p->owns_lock() && !away && behind_the_drain) {
    p->lock();  // the drain's transaction first
    return Status::Ok();
  }
  if (p->owns_lock()) p->unlock();
  return Status::Unavailable("the store is away: batches wait in the spool " + path_);
}

void SpoolStore::NoteAnswer(const Status& st) {
  std::lock_guard<std::mutex> l(spool_mu_);
  primary_away_ = st.code() == Status::Code::kUnavailable;
}

namespace {
const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const StatusOr<T>& s) {
  return s.status();
}
}  // namespace

// One control call on the primary: refused at once while it is away
// (PrimaryForControl), its answer noted either way.
template <typename Call>
auto SpoolStore::OnPrimary(Call call, bool behind_the_drain) -> decltype(call(*primary_)) {
  std::unique_lock<std::mutex> p;
  if (Status away = PrimaryForControl(&p, behind_the_drain); !away.ok()) return away;
  auto answer = call(*primary_);
  NoteAnswer(StatusOf(answer));
  return answer;
}

// Blocks go to the primary only: a block that cannot be shared is not spooled
// (the agent keeps it in memory and saves it again later).
Status SpoolStore::SaveBlocks(const std::vector<Block>& blocks) {
  return OnPrimary([&](Store& s) { return s.SaveBlocks(blocks); });
}

StatusOr<std::vector<Block>> SpoolStore::LoadBlocks(TimeUs active_at) {
  // The start's load of the blocks waits behind a drain's transaction:
  // refused, the agent started without its blocks and their strikes
  // (helper-112). The agent's refreshes (LoadRefresh) do not wait.
  return OnPrimary([&](Store& s) { return s.LoadBlocks(active_at); }, /*behind_the_drain=*/true);
}

StatusOr<std::vector<Block>> SpoolStore::LoadBlocksOf(const std::vector<BlockId>& ids) {
  return OnPrimary([&](Store& s) { return s.LoadBlocksOf(ids); });
}

StatusOr<std::vector<Block>> SpoolStore::LoadRefresh(TimeUs from,
                                                     const std::vector<BlockId>& mine) {
  return OnPrimary([&](Store& s) { return s.LoadRefresh(from, mine); });
}

StatusOr<int> SpoolStore::SetBlockEnds(const std::string& key, TimeUs now, TimeUs end) {
  std::lock_guard<std::mutex> p(primary_mu_);
  return primary_->SetBlockEnds(key, now, end);
}

// Counts of the moment: from the primary, or none while it is away.
StatusOr<std::vector<WindowCount>> SpoolStore::ExchangeCounts(const std::string& agent,
                                                              const std::vector<WindowCount>& mine,
                                                              TimeUs since) {
  return OnPrimary([&](Store& s) { return s.ExchangeCounts(agent, mine, since); });
}

// Answers: with the primary, or not while it is away (the agent keeps its own
// for the next exchange).
StatusOr<AnswerExchange> SpoolStore::ExchangeAnswers(const AnswerRequest& r) {
  return OnPrimary([&](Store& s) { return s.ExchangeAnswers(r); });
}

// The status of the moment: to the primary, or nowhere while it is away (the
// next row, a few seconds on, says it all again).
Status SpoolStore::SaveAgentStatus(const AgentStatus& status) {
  return OnPrimary([&](Store& s) { return s.SaveAgentStatus(status); });
}

StatusOr<std::vector<AgentStatus>> SpoolStore::ListAgentStatus() {
  std::lock_guard<std::mutex> p(primary_mu_);
  return primary_->ListAgentStatus();
}

}  // namespace mailtrail
