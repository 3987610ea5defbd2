#include "agent/report/summary_part.h"

#include <algorithm>
#include <functional>
#include <future>
#include <queue>

namespace mailtrail {

namespace {

// One key of a map being sealed: its hash, its text, its counts.
struct Loose {
  uint64_t hash;
  const std::string* text;
  const int64_t* counts;
};

SummaryPart::Keys Pack(std::vector<Loose> loose, int width) {
  std::sort(loose.begin(), loose.end(), [](const Loose& a, const Loose& b) {
    return a.hash != b.hash ? a.hash < b.hash : *a.text < *b.text;
  });
  SummaryPart::Keys k;
  k.width = width;
  k.hashes.reserve(loose.size());
  k.counts.reserve(loose.size() * static_cast<size_t>(width));
  k.ends.reserve(loose.size());
  for (const Loose& l : loose) {
    k.hashes.push_back(l.hash);
    k.counts.insert(k.counts.end(), l.counts, l.counts + width);
    k.texts += *l.text;
    k.ends.push_back(k.texts.size());
  }
  return k;
}

SummaryPart::Keys PackCounts(const std::unordered_map<std::string, int64_t>& m,
                             SummaryPart::KeyHashFn hash) {
  std::vector<Loose> loose;
  loose.reserve(m.size());
  for (const auto& [key, count] : m) loose.push_back({hash(key), &key, &count});
  return Pack(std::move(loose), 1);
}

}  // namespace

uint64_t SummaryPart::DefaultKeyHash(std::string_view key) {
  return std::hash<std::string_view>()(key);
}

std::shared_ptr<const SummaryPart> SummaryPart::Seal(const Summary& s, KeyHashFn hash) {
  auto p = std::make_shared<SummaryPart>();
  p->records_ = s.records_;
  p->first_seen_ = s.first_seen_;
  p->last_seen_ = s.last_seen_;
  p->messages_ = s.messages_;
  p->recipients_ = s.recipients_;
  p->bytes_received_ = s.bytes_received_;
  p->hours_ = s.by_hour_;
  p->hour_outcomes_ = s.by_hour_outcome_;
  p->lists_[kSenders] = PackCounts(s.by_sender_, hash);
  p->lists_[kSendingHosts] = PackCounts(s.by_sending_host_, hash);
  p->lists_[kRejectReasons] = PackCounts(s.by_reject_, hash);
  p->lists_[kRejectedClients] = PackCounts(s.by_rejected_client_, hash);
  p->lists_[kProblems] = PackCounts(s.by_problem_, hash);
  p->lists_[kDeferrals] = PackCounts(s.by_deferral_, hash);
  p->lists_[kBounceSubjects] = PackCounts(s.by_bounce_subject_, hash);
  std::vector<Loose> loose;
  loose.reserve(s.domain_outcomes_.size());
  for (const auto& [domain, outcomes] : s.domain_outcomes_)
    loose.push_back({hash(domain), &domain, outcomes.data()});
  p->lists_[kDomains] = Pack(std::move(loose), kOutcomeCount);
  loose.clear();
  loose.reserve(s.recipient_addresses_.size());
  for (const std::string& address : s.recipient_addresses_)
    loose.push_back({hash(address), &address, nullptr});
  p->lists_[kAddresses] = Pack(std::move(loose), 0);
  return p;
}

size_t SummaryPart::bytes() const {
  size_t n = sizeof(*this) + hours_.size() * 64 + hour_outcomes_.size() * 128;
  for (const Keys& k : lists_)
    n += k.hashes.capacity() * 8 + k.counts.capacity() * 8 + k.ends.capacity() * 8 +
         k.texts.capacity();
  return n;
}

namespace {

// The `top` best keys of a list seen one at a time: largest total first,
// ties by key (Summary's order).
struct Candidate {
  int64_t total;
  std::string_view text;
  std::array<int64_t, kOutcomeCount> counts;
};
bool Better(const Candidate& a, const Candidate& b) {
  return a.total != b.total ? a.total > b.total : a.text < b.text;
}

class TopKeys {
 public:
  explicit TopKeys(size_t n) : n_(n) {}
  void Offer(const Candidate& c) {
    if (n_ == 0) return;
    if (heap_.size() < n_) {
      heap_.push_back(c);
      std::push_heap(heap_.begin(), heap_.end(), Better);  // the worst on top
    } else if (Better(c, heap_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), Better);
      heap_.back() = c;
      std::push_heap(heap_.begin(), heap_.end(), Better);
    }
  }
  std::vector<Candidate> Sorted() {
    std::sort(heap_.begin(), heap_.end(), Better);
    return std::move(heap_);
  }

 private:
  size_t n_;
  std::vector<Candidate> heap_;
};

// Walks one list of every part in hash order; calls fn(candidate) once per
// distinct hash, its counts summed over the parts. Returns the distinct keys.
template <class Fn>
int64_t MergeList(const std::vector<const SummaryPart::Keys*>& lists, Fn fn) {
  struct Head {
    uint64_t hash;
    std::string_view text;
    size_t list, pos;
  };
  auto later = [](const Head& a, const Head& b) {
    return a.hash != b.hash ? a.hash > b.hash : a.text > b.text;
  };
  std::priority_queue<Head, std::vector<Head>, decltype(later)> heads(later);
  auto push = [&](size_t list, size_t pos) {
    const SummaryPart::Keys& k = *lists[list];
    if (pos < k.hashes.size()) heads.push({k.hashes[pos], k.Text(pos), list, pos});
  };
  for (size_t i = 0; i < lists.size(); ++i) push(i, 0);
  int64_t distinct = 0;
  while (!heads.empty()) {
    // One key: the same hash and the same text, from any number of parts
    // (texts compared only when hashes are equal).
    const Head first = heads.top();
    Candidate c{0, first.text, {}};
    for (bool more = true; more;) {
      const Head h = heads.top();
      heads.pop();
      const SummaryPart::Keys& k = *lists[h.list];
      for (int w = 0; w < k.width; ++w) {
        const int64_t n = k.counts[h.pos * static_cast<size_t>(k.width) + static_cast<size_t>(w)];
        c.counts[static_cast<size_t>(w)] += n;
        c.total += n;
      }
      push(h.list, h.pos + 1);
      more = !heads.empty() && heads.top().hash == first.hash && heads.top().text == first.text;
    }
    ++distinct;
    fn(c);
  }
  return distinct;
}

Summary::Top TopOf(std::vector<Candidate> sorted) {
  Summary::Top top;
  top.reserve(sorted.size());
  for (const Candidate& c : sorted) top.emplace_back(c.total, std::string(c.text));
  return top;
}

}  // namespace

Report MergeParts(const std::vector<std::shared_ptr<const SummaryPart>>& parts, size_t top) {
  Report r;
  for (const auto& p : parts) {
    if (p->records_ == 0) continue;
    r.first_seen = r.records == 0 ? p->first_seen_ : std::min(r.first_seen, p->first_seen_);
    r.last_seen = r.records == 0 ? p->last_seen_ : std::max(r.last_seen, p->last_seen_);
    r.records += p->records_;
    for (int i = 0; i < kOutcomeCount; ++i) {
      r.messages[static_cast<size_t>(i)] += p->messages_[static_cast<size_t>(i)];
      r.recipients[static_cast<size_t>(i)] += p->recipients_[static_cast<size_t>(i)];
    }
    r.bytes_received += p->bytes_received_;
    for (const auto& [hour, n] : p->hours_) r.hours[hour] += n;
    for (const auto& [hour, outcomes] : p->hour_outcomes_) {
      auto& sum = r.hour_outcomes[hour];
      for (size_t i = 0; i < sum.size(); ++i) sum[i] += outcomes[i];
    }
  }
  auto lists = [&](SummaryPart::List which) {
    std::vector<const SummaryPart::Keys*> out;
    out.reserve(parts.size());
    for (const auto& p : parts) out.push_back(&p->lists_[which]);
    return out;
  };
  auto counted = [&](SummaryPart::List which, int64_t* distinct, Summary::Top* out) {
    TopKeys best(top);
    const int64_t n = MergeList(lists(which), [&](const Candidate& c) { best.Offer(c); });
    if (distinct) *distinct = n;
    *out = TopOf(best.Sorted());
  };
  // The two largest lists of a busy day merge on a second thread meanwhile.
  auto big = std::async(std::launch::async, [&] {
    counted(SummaryPart::kSenders, &r.senders, &r.top_senders);
    counted(SummaryPart::kSendingHosts, &r.sending_hosts, &r.top_sending_hosts);
  });
  counted(SummaryPart::kRejectReasons, nullptr, &r.top_reject_reasons);
  counted(SummaryPart::kRejectedClients, nullptr, &r.top_rejected_clients);
  counted(SummaryPart::kProblems, nullptr, &r.top_delivery_problems);
  counted(SummaryPart::kDeferrals, nullptr, &r.top_deferral_reasons);
  counted(SummaryPart::kBounceSubjects, nullptr, &r.top_bounce_subjects);
  TopKeys domains(top);
  r.recipient_domains =
      MergeList(lists(SummaryPart::kDomains), [&](const Candidate& c) { domains.Offer(c); });
  for (const Candidate& c : domains.Sorted())
    r.top_recipient_domains.push_back({c.total, std::string(c.text), c.counts});
  r.recipient_addresses = MergeList(lists(SummaryPart::kAddresses), [](const Candidate&) {});
  big.get();
  return r;
}

Report ReportOf(const Summary& s, size_t top) { return MergeParts({SummaryPart::Seal(s)}, top); }

}  // namespace mailtrail
