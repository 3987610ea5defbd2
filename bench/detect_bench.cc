// detect_bench: the backscatter detector's cost per record, and its memory with
// a million distinct subjects in one window.
// 1. FILE's records and the deliveries of mail we relayed (replayed into
//    memory first, in the tracker's order, not timed) through FloodDetector +
//    BlockManager: ns per record, and per bounce.
// 1b. The same deliveries as an agent of a fleet shares them (answers.share):
//    every 2 s of log time the keys learned meanwhile go to a fresh SQLite
//    store (Store::ExchangeAnswers, another agent present): rows, and the
//    store's time per exchange and per row; and the detector's time per
//    delivery learned, sharing and not (the copy into the outbox).
// 2. A synthetic storm: N bounces with N distinct subjects from N/4 IPs within
//    one minute, against max_subjects = max_ips = BOUND: keys tracked, peak RSS.
// usage: detect_bench FILE [--year Y] [--storm N] [--bound B]
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "agent/blocks/block_manager.h"
#include "agent/detect/flood_detector.h"
#include "agent/replay/replay.h"
#include "agent/store/store.h"

namespace {
// Records as they close and, between them, the deliveries the detector learns
// (DeliveryFacts: each with its one recipient), as the agent gives them.
class Collect : public mailtrail::RecordSink {
 public:
  void OnRecord(mailtrail::MessageRecord&& r) override {
    records.push_back(std::move(r));
    delivery.push_back(false);
  }
  void OnDelivery(const mailtrail::MessageRecord& open, size_t i) override {
    if (!mailtrail::OutboundMemory::Relayed(open, open.recipients[i])) return;
    records.push_back(mailtrail::DeliveryFacts(open, i));
    delivery.push_back(true);
    ++deliveries;
  }
  std::vector<mailtrail::MessageRecord> records;
  std::vector<bool> delivery;
  size_t deliveries = 0;
};

// An exchange as the agent asks it, log time and clock alike.
mailtrail::AnswerRequest Request(const char* agent, std::vector<mailtrail::SharedAnswer> mine,
                                 const mailtrail::AnswerCursor& cursor, mailtrail::TimeUs now) {
  mailtrail::AnswerRequest r;
  r.agent = agent;
  r.mine = std::move(mine);
  r.cursor = cursor;
  r.wall_now = now;
  r.mono_now = now;
  r.window = 86400LL * mailtrail::kUsPerSecond;
  r.since = now - r.window;
  r.limit = 5000;
  return r;
}

// Phase 1b: the store's cost of sharing `sink`'s deliveries with a fleet.
void ShareBench(const Collect& sink) {
  char dir[] = "/tmp/mt_detect_bench_XXXXXX";
  if (mkdtemp(dir) == nullptr) return;
  const std::string path = std::string(dir) + "/share.db";
  auto store = mailtrail::OpenStore("sqlite:" + path, mailtrail::Detail::kStandard, true);
  if (!store.ok()) {
    std::fprintf(stderr, "share: %s\n", store.status().message().c_str());
    return;
  }
  mailtrail::DetectorOptions o;
  o.answers.share = true;
  mailtrail::FloodDetector d(o);
  const mailtrail::TimeUs interval = 2 * mailtrail::kUsPerSecond;
  mailtrail::AnswerCursor relay, mx;
  size_t rows = 0, exchanges = 0;
  double store_s = 0, learn_s = 0;
  mailtrail::TimeUs next = 0;
  auto exchange = [&](mailtrail::TimeUs now) {
    std::vector<mailtrail::SharedAnswer> mine = d.TakeLearnedAnswers(5000);
    const size_t n = mine.size();
    const auto t = std::chrono::steady_clock::now();
    auto x = (*store)->ExchangeAnswers(Request("relay", std::move(mine), relay, now));
    store_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    if (!x.ok()) return;
    relay = x->cursor;
    rows += n;
    ++exchanges;
  };
  for (size_t i = 0; i < sink.records.size(); ++i) {
    if (!sink.delivery[i]) continue;
    const auto& r = sink.records[i];
    const mailtrail::TimeUs now = r.recipients[0].time;
    if (next == 0) {  // the MX is there first: the relay is not alone
      auto x = (*store)->ExchangeAnswers(Request("mx", {}, mx, now));
      if (x.ok()) mx = x->cursor;
      next = now;
    }
    if (now >= next) {
      exchange(now);
      next = now + interval;
    }
    const auto t = std::chrono::steady_clock::now();
    d.OnDelivery(r, r.recipients[0]);
    learn_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  }
  exchange(next);
  // The same deliveries learned by a detector that does not share, timed alike.
  mailtrail::FloodDetector plain;
  double plain_s = 0;
  for (size_t i = 0; i < sink.records.size(); ++i) {
    if (!sink.delivery[i]) continue;
    const auto& r = sink.records[i];
    const auto t = std::chrono::steady_clock::now();
    plain.OnDelivery(r, r.recipients[0]);
    plain_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  }
  std::printf(
      "share: %zu relayed deliveries -> %zu rows in %zu exchanges (%.2f rows/delivery); "
      "store %.3f s = %.0f us/exchange, %.1f us/row\n",
      sink.deliveries, rows, exchanges, sink.deliveries ? double(rows) / sink.deliveries : 0.0,
      store_s, exchanges ? store_s * 1e6 / exchanges : 0.0, rows ? store_s * 1e6 / rows : 0.0);
  const double n = sink.deliveries ? static_cast<double>(sink.deliveries) : 1.0;
  std::printf("share: learning a delivery %.0f ns sharing, %.0f ns not\n", learn_s * 1e9 / n,
              plain_s * 1e9 / n);
  std::remove(path.c_str());
  std::remove((path + "-wal").c_str());
  std::remove((path + "-shm").c_str());
  rmdir(dir);
}

long PeakRssKiB() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: detect_bench FILE [--year Y] [--storm N] [--bound B]\n");
    return 2;
  }
  mailtrail::ReplayOptions options;
  options.year = 2026;
  options.tracker.emit_at_removed = true;
  long storm = 1000000, bound = 100000;
  for (int i = 2; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--year") == 0)
      options.year = std::atoi(argv[++i]);
    else if (std::strcmp(argv[i], "--storm") == 0)
      storm = std::atol(argv[++i]);
    else if (std::strcmp(argv[i], "--bound") == 0)
      bound = std::atol(argv[++i]);
  }
  Collect sink;
  mailtrail::LineCounter counter;
  if (auto st = mailtrail::Replay({argv[1]}, options, &sink, &counter, nullptr); !st.ok()) {
    std::fprintf(stderr, "%s\n", st.message().c_str());
    return 1;
  }
  {
    mailtrail::FloodDetector d;
    mailtrail::BlockPolicy p;
    p.live = false;
    p.allow_cidrs = {*mailtrail::Cidr::Parse("127.0.0.1/32")};  // the corpora's mynetworks
    mailtrail::BlockManager m(p);
    mailtrail::NullLogger quiet;
    m.log = &quiet;
    std::vector<mailtrail::Decision> out;
    std::string why;
    size_t blocks = 0;
    const auto start = std::chrono::steady_clock::now();
    for (size_t i = 0; i < sink.records.size(); ++i) {
      const auto& r = sink.records[i];
      if (sink.delivery[i]) {
        d.OnDelivery(r, r.recipients[0]);
        continue;
      }
      out.clear();
      d.OnRecord(r, &out);
      for (const auto& dec : out) blocks += m.Apply(dec, &why) != nullptr;
    }
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const size_t records = sink.records.size() - sink.deliveries;
    std::printf(
        "%s: %zu records (%lld bounces, %lld answers) and %zu relayed deliveries in %.3f s = "
        "%.0f ns/record, %.0f ns/bounce; %zu answer keys; %zu blocks\n",
        argv[1], records, static_cast<long long>(d.bounces()), static_cast<long long>(d.answers()),
        sink.deliveries, s, s * 1e9 / records, d.bounces() ? s * 1e9 / d.bounces() : 0.0,
        d.outbound_keys(), blocks);
  }
  ShareBench(sink);
  sink.records.clear();
  sink.records.shrink_to_fit();
  sink.delivery.clear();
  const long rss_before = PeakRssKiB();
  mailtrail::DetectorOptions o;
  o.max_subjects = static_cast<size_t>(bound);
  o.max_ips = static_cast<size_t>(bound);
  mailtrail::FloodDetector d(o);
  std::vector<mailtrail::Decision> out;
  mailtrail::MessageRecord r;
  r.host = "mx";
  r.sender = "";
  r.has_client = true;
  const mailtrail::TimeUs t0 = 1795780000LL * mailtrail::kUsPerSecond;
  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < storm; ++i) {
    const long ip = i % (storm / 4 + 1);
    r.client_ip = "10." + std::to_string(ip >> 16 & 255) + "." + std::to_string(ip >> 8 & 255) +
                  "." + std::to_string(ip & 255);
    r.qid = "Q" + std::to_string(i);
    r.subject = "storm subject " + std::to_string(i * 7919 % 1000003) + " x" +
                std::string(1, static_cast<char>('a' + i % 26)) +
                std::string(1, static_cast<char>('a' + i / 26 % 26)) +
                std::string(1, static_cast<char>('a' + i / 676 % 26)) +
                std::string(1, static_cast<char>('a' + i / 17576 % 26));
    r.first_seen = r.last_seen = t0 + i * 60 * mailtrail::kUsPerSecond / storm;
    out.clear();
    d.OnRecord(r, &out);
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "storm: %ld bounces, %ld distinct subjects within 60 s, bound %ld: %zu subjects "
      "and %zu IPs tracked, %lld keys refused; %.0f ns/bounce; peak RSS %ld MiB "
      "(%ld MiB before the storm)\n",
      storm, storm, bound, d.tracked_subjects(), d.tracked_ips(),
      static_cast<long long>(d.untracked()), s * 1e9 / storm, PeakRssKiB() / 1024,
      rss_before / 1024);
  return 0;
}
