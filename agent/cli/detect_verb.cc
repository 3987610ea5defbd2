// `mailtrail detect FILE...`: runs the backscatter detector over logs (after the
// fact, at log time) and prints the blocks it would make. Decisions from old
// lines are never live (docs/security.md rule 6): this verb enforces nothing.
//
// Logs of several MXes (different syslog host names) are counted fleet-wide,
// as agents sharing a store count them (docs/detection.md): their records are
// merged by time and go through one detector. --per-host gives each host a
// detector of its own, as agents with fleet counting off would.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <unordered_set>

#include "actions/firewall/nft_firewall.h"
#include "actions/postfix/postfix_tables.h"
#include "agent/blocks/block_manager.h"
#include "agent/blocks/desired.h"
#include "agent/cli/args.h"
#include "agent/cli/store_args.h"
#include "agent/cli/verbs.h"
#include "agent/config/config.h"
#include "agent/detect/bounce.h"
#include "agent/detect/flood_detector.h"
#include "agent/detect/subject.h"
#include "agent/replay/line_reader.h"
#include "agent/replay/replay.h"
#include "base/text.h"
#include "parsers/line_parser.h"

namespace mailtrail::cli {

namespace {
constexpr TimeUs kS = kUsPerSecond, kDay = 86400 * kUsPerSecond;

// Feeds closed records to a detector and its decisions to a block manager:
// one pair for the whole fleet, or one per syslog host (--per-host). With more
// than one file, fleet-wide records are held and fed in the order of their
// times once every file was read: Replay reads one file after the other, and a
// window fed one host's hour and then another's would count neither together.
class DetectSink : public RecordSink {
 public:
  struct Lane {
    Lane(const DetectorOptions& d, const BlockPolicy& p) : detector(d), manager(p) {}
    FloodDetector detector;
    BlockManager manager;
  };
  DetectSink(DetectorOptions d, BlockPolicy p, bool per_host, bool merge)
      : d_(std::move(d)), p_(std::move(p)), per_host_(per_host), merge_(merge && !per_host) {}
  TimeUs last_seen() const { return last_seen_; }
  void OnRecord(MessageRecord&& r) override {
    if (r.is_update) return;  // counted when it was first written
    if (merge_) {
      const TimeUs at = r.last_seen;
      held_.push_back({std::move(r), at, /*delivery=*/false, /*deferral=*/false});
    } else {
      Feed(r);
    }
  }
  void OnDelivery(const MessageRecord& open, size_t i) override {
    // A bounce counts at its first deferral (FloodDetector::OnDeferral).
    const bool deferral = open.recipients[i].outcome == Outcome::kDeferred &&
                          ClassifyBounce(open) != BounceSignal::kNone &&
                          !LaneOf(open).detector.WasCountedOpen(open);
    if (!merge_) {
      LaneOf(open).detector.OnDelivery(open, open.recipients[i]);
      if (deferral) Feed(open, /*deferral=*/true);
      return;
    }
    // Once a message: its host, queue id and arrival (a queue id comes back
    // in a later file as another message, helper-141 B-1).
    if (deferral &&
        held_deferrals_.insert(open.host + '\t' + open.qid + '\t' + std::to_string(open.first_seen))
            .second)
      held_.push_back({open, open.recipients[i].time, /*delivery=*/false, /*deferral=*/true});
    // Held until the merge, when the detector would learn it: the message
    // without its other recipients.
    if (!OutboundMemory::Relayed(open, open.recipients[i]) &&
        !OutboundMemory::ToContentFilter(open, open.recipients[i]))
      return;
    held_.push_back({DeliveryFacts(open, i), open.recipients[i].time, /*delivery=*/true,
                     /*deferral=*/false});
  }
  // Feeds the held records and deliveries, by the time each happened (a
  // record: when it was complete). At one time deliveries go first, as in
  // one log (a delivery line precedes the close of a notice logged in the
  // same second); then as read.
  void Finish() {
    std::stable_sort(held_.begin(), held_.end(), [](const Held& a, const Held& b) {
      return a.at != b.at ? a.at < b.at : a.delivery && !b.delivery;
    });
    for (const Held& h : held_) {
      if (h.delivery) {
        LaneOf(h.record).detector.OnDelivery(h.record, h.record.recipients[0]);
      } else {
        Feed(h.record, h.deferral);
      }
    }
    held_.clear();
    held_deferrals_.clear();
  }
  const std::map<std::string, std::unique_ptr<Lane>>& lanes() const { return lanes_; }
  std::vector<Block> Active() const {
    std::vector<Block> out;
    for (const auto& [host, lane] : lanes_)
      for (auto& b : lane->manager.Active()) out.push_back(b);
    return out;
  }
  std::vector<Block> Every() const {
    std::vector<Block> out;
    for (const auto& [host, lane] : lanes_) {
      for (const auto& b : lane->manager.history()) out.push_back(b);
      for (auto& b : lane->manager.Active()) out.push_back(b);
    }
    return out;
  }
  template <typename F>
  int64_t Sum(F f) const {
    int64_t n = 0;
    for (const auto& [host, lane] : lanes_) n += f(*lane);
    return n;
  }

 private:
  Lane& LaneOf(const MessageRecord& r) {
    auto& lane = lanes_[per_host_ ? r.host : std::string()];
    if (!lane) lane = std::make_unique<Lane>(d_, p_);
    return *lane;
  }
  // A closed record, or an open one at its first deferral.
  void Feed(const MessageRecord& r, bool deferral = false) {
    Lane& lane = LaneOf(r);
    decisions_.clear();
    last_seen_ = std::max(last_seen_, r.last_seen);
    if (deferral) {
      lane.detector.OnDeferral(r, &decisions_);
    } else {
      lane.detector.OnRecord(r, &decisions_);
    }
    std::string why;
    for (const auto& dec : decisions_)
      if (!lane.manager.Apply(dec, &why) && why == "cap reached") lane.detector.NotTaken(dec);
  }
  // A closed record, one delivery (DeliveryFacts: its only recipient), or
  // an open record at its first deferral (as it stood then).
  struct Held {
    MessageRecord record;
    TimeUs at;
    bool delivery;
    bool deferral;
  };

  DetectorOptions d_;
  BlockPolicy p_;
  bool per_host_, merge_;
  std::map<std::string, std::unique_ptr<Lane>> lanes_;  // by host; "" fleet-wide
  std::vector<Held> held_;
  std::unordered_set<std::string> held_deferrals_;  // host, qid, arrival: held once
  std::vector<Decision> decisions_;
  TimeUs last_seen_ = 0;
};

// The syslog host of a file's first Postfix line among its first thousand, or "".
std::string FirstHost(const std::string& path) {
  auto reader = LineReader::Open(path, kMaxLineLength);
  if (!reader.ok()) return {};
  DatedLineParser parser(0, 2000, 1);
  std::string_view line;
  for (int i = 0; i < 1000; ++i) {
    const LineReader::Result res = (*reader)->Next(&line);
    if (res == LineReader::Result::kEnd || res == LineReader::Result::kError) break;
    if (res != LineReader::Result::kLine) continue;
    const Event ev = parser.Parse(line);
    if (ev.kind != EventKind::kUnparsable && ev.kind != EventKind::kForeign && !ev.host.empty())
      return std::string(ev.host);
  }
  return {};
}

// Whether the files are the logs of more than one host: then their records are
// merged by time (a host's own rotated files are read in order already, and
// need not be held in memory).
bool SeveralHosts(const std::vector<std::string>& files) {
  std::string first;
  for (const auto& f : files) {
    const std::string h = FirstHost(f);
    if (h.empty()) continue;
    if (first.empty()) first = h;
    if (h != first) return true;
  }
  return false;
}

// What each backend would be given for `active` at `now` (log time), with the
// default configuration's reply and paths: the dry run of docs/postfix.md.
void PrintEnforcement(std::vector<Block> active, TimeUs now) {
  for (Block& b : active) b.live = true;  // as if these lines were live
  const DesiredBlocks desired = DesiredOf(active, now);
  const Config defaults;
  std::string ips;
  for (const auto& ip : desired.ips) ips += " " + ip;
  for (const auto& n : desired.cidrs) ips += " " + n;
  std::printf(
      "\n== What the agent would push for the %zu blocks active at the end (dry run: "
      "nothing is written)\n",
      active.size());
  const std::string& bounces =
      defaults.policy.bounce_action.empty() ? defaults.policy.reply : defaults.policy.bounce_action;
  std::printf(
      "-- policy service (check_policy_service): action=%s for%s; action=DUNNO for "
      "everyone else\n"
      "   (their bounces, MAIL FROM:<>: action=%s; to postmaster@ and abuse@: action=DUNNO)\n",
      defaults.policy.reply.c_str(), ips.empty() ? " nobody" : ips.c_str(), bounces.c_str());
  PostfixTableOptions to;
  to.reply = defaults.policy.reply;
  int skipped = 0;
  std::printf("-- access map (check_client_access lmdb:/etc/postfix/mailtrail_access):\n%s",
              AccessMapAction(to).Render(desired, &skipped).c_str());
  if (skipped > 0)
    std::printf("   (%d networks left to the policy service and firewall)\n", skipped);
  std::printf(
      "-- header_checks (pcre:/etc/postfix/mailtrail_header_checks.pcre), then postfix "
      "reload:\n%s",
      HeaderChecksAction(to).Render(desired).c_str());
  std::string script = NftFirewallAction(NftOptions{}).Script(desired, now);
  if (!script.empty() && script.back() != '\n') script += '\n';
  std::printf("-- nftables (one atomic transaction; timeouts as of the end of the logs):\n%s",
              script.c_str());
}

}  // namespace

const VerbSpec kDetectVerb = {
    "detect",
    "the backscatter blocks these logs would cause (a dry run: nothing is enforced)",
    "[options] FILE...",
    {
        kStoreFlag,
        kPasswordFileFlag,
        IntFlag("year", "year of the first yearless line (default: from the file's mtime)", 1970,
                9999, "YEAR"),
        kTzFlag,
        {"allow", true, "never block this IP or CIDR; repeat (default: 127.0.0.0/8 and ::1)",
         "CIDR"},
        {"allow-subject", true, "never block this subject; repeat", "SUBJECT"},
        IntFlag("subject-bounces", "bounces with one subject that trip the subject rule (50)", 1,
                1000000),
        IntFlag("subject-ips", "distinct sources the subject rule needs (2)", 1, 1000),
        IntFlag("subject-source-bounces",
                "bounces of the subject a source must send in the window to count and be "
                "blocked (5)",
                1, 1000),
        ChoiceFlag("answers",
                   "on (default) or off: recognise bounces that answer mail relayed in these logs",
                   {"on", "off"}),
        DurationFlag("answer-window",
                     "how long relayed mail can be answered (86400 s; a bare number is seconds)",
                     60 * kS, 7 * kDay, DurationUnit::kSeconds),
        DurationFlag("subject-window", "the subject rule's window (120 s)", kS, kDay,
                     DurationUnit::kSeconds),
        IntFlag("ip-bounces", "bounces from one IP that trip the IP rule (20)", 1, 1000000),
        DurationFlag("ip-window", "the IP rule's window (60 s)", kS, kDay, DurationUnit::kSeconds),
        DurationFlag("period", "block period (3600 s)", kS, 30 * kDay, DurationUnit::kSeconds),
        {"all", false, "also the blocks that expired before the end of the logs"},
        {"per-host", false,
         "count each syslog host alone (default: the logs of several hosts are merged by time "
         "and counted fleet-wide, as agents sharing a store count them)"},
        {"save", false, "keep the decisions in the store (--store), as not live"},
        ChoiceFlag("format", "table (default) or jsonl (docs/record.md blocks)",
                   {"table", "jsonl"}),
        {"show-enforcement", false,
         "also print what the policy service, access map, header_checks and nftables would get "
         "for the blocks active at the end (a dry run: nothing is written)"},
        kHelpFlag,
    },
    1,
    kAnyNumber,
};

int DetectMain(const std::vector<std::string>& argv, const Clock& clock) {
  ParsedArgs parsed;
  if (auto exit = ParseOrUsage(kDetectVerb, argv, &parsed)) return *exit;
  const Args* args = &parsed.args;
  DetectorOptions d;
  BlockPolicy p;
  p.live = false;
  p.keep_history = true;  // --all lists the ended blocks
  d.subject_bounces = static_cast<int>(args->Number("subject-bounces", d.subject_bounces));
  d.subject_min_ips = static_cast<int>(args->Number("subject-ips", d.subject_min_ips));
  d.subject_source_bounces =
      static_cast<int>(args->Number("subject-source-bounces", d.subject_source_bounces));
  d.answers.window = args->Number("answer-window", d.answers.window);
  d.answers.enabled = args->Get("answers").value_or("on") == "on";
  d.subject_window = args->Number("subject-window", d.subject_window);
  d.ip_bounces = static_cast<int>(args->Number("ip-bounces", d.ip_bounces));
  d.ip_window = args->Number("ip-window", d.ip_window);
  d.block_period = p.period = args->Number("period", p.period);
  for (const std::string& a : args->GetAll("allow")) {
    auto c = Cidr::Parse(a);
    if (!c) return UsageError(kDetectVerb, "--allow needs an IP or CIDR");
    p.allow_cidrs.push_back(*c);
  }
  for (const std::string& s : args->GetAll("allow-subject"))
    p.allow_subjects.push_back(NormalizeSubject(s));
  // As the agent (supervisor.cc), with --allow for the allowlist.
  d.never_counted = NeverBlocked(p);
  d.unblockable_subjects = p.allow_subjects;
  const std::string format = args->Get("format").value_or("table");
  ReplayOptions options;
  if (args->Has("year")) options.year = static_cast<int>(args->Number("year", 0));
  if (!ParseTz(args->Get("tz").value_or("UTC"), clock, &options.utc_offset_seconds))
    return UsageError(kDetectVerb, "--tz must be UTC, local, or +HH:MM / -HH:MM");
  // Records as soon as their message is removed: in the order of the log.
  options.tracker.emit_at_removed = true;
  DetectSink sink(d, p, args->Has("per-host"),
                  args->positionals.size() > 1 && SeveralHosts(args->positionals));
  LineCounter counter;
  if (Status st = Replay(args->positionals, options, &sink, &counter, nullptr); !st.ok())
    return FailWith(st);
  sink.Finish();
  std::vector<Block> every = sink.Every();
  if (sink.lanes().size() > 1)
    std::stable_sort(every.begin(), every.end(),
                     [](const Block& a, const Block& b) { return a.created < b.created; });
  std::vector<Block> active_blocks = sink.Active();
  if (args->Has("save")) {
    StoreOptions so;
    so.create_missing = true;
    so.as_writer = true;
    auto store = OpenStoreFromArgs(*args, so);
    if (!store.ok()) return FailWith(store.status());
    if (Status st = (*store)->SaveBlocks(every); !st.ok()) return FailWith(st);
  }
  std::vector<Block> blocks = args->Has("all") ? every : active_blocks;
  std::string line;
  for (const Block& b : blocks) {
    line.clear();
    if (format == "jsonl") {
      AppendBlockJson(b, &line);
    } else {
      line = FormatRfc3339(b.created) + "  " + BlockKindName(b.kind) + " " +
             EscapeForLog(b.key, 60) + "  until " + FormatRfc3339(b.expires) + "  " +
             EscapeForLog(b.reason, 160);
    }
    std::printf("%s\n", line.c_str());
  }
  if (args->Has("show-enforcement")) PrintEnforcement(active_blocks, sink.last_seen());
  std::fflush(stdout);  // the summary after the blocks, also when both go to one pipe
  // Answers first: they are bounces, but count towards no rule.
  auto answers_of = [&](AnswerKind k) {
    return static_cast<long long>(sink.Sum([k](const auto& l) { return l.detector.answers(k); }));
  };
  std::fprintf(stderr,
               "mailtrail detect: %lld answers to mail relayed in these logs (%lld by "
               "Message-ID, %lld by domain, %lld by subject), not counted\n",
               static_cast<long long>(sink.Sum([](const auto& l) { return l.detector.answers(); })),
               answers_of(AnswerKind::kMessageId), answers_of(AnswerKind::kDomain),
               answers_of(AnswerKind::kSubject));
  std::fprintf(
      stderr,
      "mailtrail detect: %lld bounces in %lld lines; %zu blocks (%zu active at the "
      "end, %lld decisions allowlisted, %lld over a cap); nothing is enforced\n",
      static_cast<long long>(sink.Sum([](const auto& l) { return l.detector.bounces(); })),
      static_cast<long long>(counter.lines()), blocks.size(), active_blocks.size(),
      static_cast<long long>(sink.Sum([](const auto& l) { return l.manager.allowlisted(); })),
      static_cast<long long>(sink.Sum([](const auto& l) { return l.manager.capped(); })));
  return kExitOk;
}

}  // namespace mailtrail::cli
