// ForwardingStore: a Store that hands every call to a real one. Tests derive
// from it to inject failures or hold a call (a fake only around a real store),
// overriding just the calls they change.
#ifndef MAILTRAIL_TESTS_SUPPORT_FORWARDING_STORE_H_
#define MAILTRAIL_TESTS_SUPPORT_FORWARDING_STORE_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/store/store.h"

namespace mailtrail {

class ForwardingStore : public Store {
 public:
  explicit ForwardingStore(Store* real) : real_(real) {}

  Status WriteBatch(const std::vector<MessageRecord>& records,
                    const CheckpointUpdate* checkpoint) override {
    return real_->WriteBatch(records, checkpoint);
  }
  StatusOr<std::vector<std::string>> LoadCheckpoint() override { return real_->LoadCheckpoint(); }
  Status Search(const SearchQuery& q, const std::function<void(MessageRecord&&)>& fn) override {
    return real_->Search(q, fn);
  }
  Status SearchWithCursor(
      const SearchQuery& q,
      const std::function<void(MessageRecord&&, const SearchCursor&)>& fn) override {
    return real_->SearchWithCursor(q, fn);
  }
  Status SearchWithin(const SearchQuery& q, int64_t work_rows,
                      const std::function<void(MessageRecord&&, const SearchCursor&)>& fn,
                      std::optional<SearchCursor>* resume) override {
    return real_->SearchWithin(q, work_rows, fn, resume);
  }
  Status SearchForSummary(const SearchQuery& q,
                          const std::function<void(MessageRecord&&)>& fn) override {
    return real_->SearchForSummary(q, fn);
  }
  Status SearchFirstWithin(const SearchQuery& q, int64_t work_rows,
                           const std::function<void(MessageRecord&&)>& fn, bool* stopped) override {
    return real_->SearchFirstWithin(q, work_rows, fn, stopped);
  }
  StatusOr<std::vector<SliceStamp>> SliceStamps(TimeUs since, TimeUs until, TimeUs width) override {
    return real_->SliceStamps(since, until, width);
  }
  StatusOr<MatchCount> CountMatchesUpTo(const SearchQuery& q, int64_t cap,
                                        int64_t work_rows = kCountWorkRows) override {
    return real_->CountMatchesUpTo(q, cap, work_rows);
  }
  Status AddLineStats(const LineStats& s) override { return real_->AddLineStats(s); }
  StatusOr<LineStats> GetLineStats() override { return real_->GetLineStats(); }
  StatusOr<std::map<std::string, int64_t>> CountByOutcome() override {
    return real_->CountByOutcome();
  }
  StatusOr<int64_t> PurgeBefore(int64_t day) override { return real_->PurgeBefore(day); }
  Status SaveBlocks(const std::vector<Block>& b) override { return real_->SaveBlocks(b); }
  StatusOr<std::vector<Block>> LoadBlocks(TimeUs at) override { return real_->LoadBlocks(at); }
  StatusOr<std::vector<Block>> LoadBlocksOf(const std::vector<BlockId>& ids) override {
    return real_->LoadBlocksOf(ids);
  }
  StatusOr<int> SetBlockEnds(const std::string& key, TimeUs now, TimeUs end) override {
    return real_->SetBlockEnds(key, now, end);
  }
  Status SaveAgentStatus(const AgentStatus& s) override { return real_->SaveAgentStatus(s); }
  StatusOr<std::vector<AgentStatus>> ListAgentStatus() override { return real_->ListAgentStatus(); }

 protected:
  Store* real_store() const { return real_; }

 private:
  Store* real_;
};

}  // namespace mailtrail

#endif  // MAILTRAIL_TESTS_SUPPORT_FORWARDING_STORE_H_
