// Agent, detection: each record to the flood detector, its decisions to the
// blocks (their periods on the clock), and the window counts other agents
// share (docs/detection.md).
#include <algorithm>
#include <string>

#include "agent/run/agent.h"
#include "base/text.h"

namespace mailtrail {

namespace {
// How far ahead of the clock a block's line may be stamped before it is said.
constexpr TimeUs kLogAheadWarning = 300 * kUsPerSecond;
// The other agents' answers read at one exchange, and this agent's written:
// the rest at the next ones.
constexpr size_t kFleetAnswersPerExchange = 5000;
// What an agent alone keeps of its answers, for an agent that comes soon.
constexpr TimeUs kKeepWhileAlone = 10 * 60 * kUsPerSecond;
// How often the others' presences go to the checkpoint when nothing else does.
constexpr TimeUs kHeardSaveEvery = 10 * 60 * kUsPerSecond;
// Agents whose answers are said once when first read; beyond, not said.
constexpr size_t kMaxAnswerSources = 1000;
}  // namespace

void Agent::Detect(const MessageRecord& r) {
  detector_changed_ = true;
  decisions_.clear();
  detector_->OnRecord(r, &decisions_);
  ApplyDecisions();
}

void Agent::DetectDelivery(const MessageRecord& open, size_t i) {
  detector_changed_ = true;
  const RecipientRecord& rc = open.recipients[i];
  if (rc.outcome == Outcome::kDeferred) DetectDeferral(open);
  // Where header_checks logs no Subject, the queue file's may not have
  // reached the open record yet (KeepQueueHints): the detector learns it
  // from a copy of what it reads.
  if (options_.queue_hints && !open.subject && OutboundMemory::Relayed(open, rc)) {
    MessageRecord facts = DeliveryFacts(open, i);
    if (FillFromQueue(&facts)) {
      detector_->OnDelivery(facts, facts.recipients[0]);
      return;
    }
  }
  detector_->OnDelivery(open, rc);
}

// A bounce counts at its first deferral (FloodDetector::OnDeferral), with
// what its queue file said if the log did not (no header_checks lines).
void Agent::DetectDeferral(const MessageRecord& open) {
  // Cheapest first: a known sender is no bounce (ClassifyBounce), and a
  // message is counted once (copied below at most once, however many
  // recipients it has).
  if (open.client_ip.empty() || (open.sender && !open.sender->empty()) ||
      detector_->WasCountedOpen(open))
    return;
  const MessageRecord* r = &open;
  MessageRecord filled;
  if (options_.queue_hints && (!open.subject || !open.header_from)) {
    filled = open;
    if (FillFromQueue(&filled)) r = &filled;
  }
  decisions_.clear();
  detector_->OnDeferral(*r, &decisions_);
  ApplyDecisions();
}

void Agent::DecideAgain(const std::vector<Block>& ended) {
  for (const Block& b : ended) {
    Decision d;
    d.kind = b.kind == BlockKind::kSubject ? Decision::Kind::kSubject : Decision::Kind::kIp;
    d.key = b.key;
    d.rule = b.rule;
    // Decided again after its new end: ended, at once; shortened, then
    // (helper-98: a shortened block left its key decided a whole period).
    detector_->BlockEnded(d, b.expires);
  }
  if (!ended.empty()) detector_changed_ = true;
}

void Agent::SayIfBehindTheClock() {
  if (old_decision_ == 0 || options_.logs.empty()) return;
  const TimeUs now = clock_->WallNow();
  // Not while a backlog is read (a restart's catch-up), nor once newer lines
  // came: only a log whose newest line, all read, is old.
  if (!LogsReadToTheEnd()) return;
  const TimeUs at = std::exchange(old_decision_, 0);
  if (last_line_log_time_ >= now - options_.live_horizon) return;
  options_.log->Limited(LogLevel::kWarn, "blocks.behind",
                        "a block decided on a line stamped " +
                            std::to_string((now - at) / kUsPerSecond) +
                            " s behind the clock, with the logs read to their end: it is "
                            "recorded, not enforced (is [logs] timezone the log's?)",
                        now, RateLimit{1, 3600 * kUsPerSecond, /*say_when_full=*/false});
}

bool Agent::LogsReadToTheEnd() const {
  return std::all_of(streams_.begin(), streams_.end(),
                     [](const auto& s) { return s->draining() == 0 && s->backlog_bytes() == 0; });
}

void Agent::ApplyDecisions() {
  if (decisions_.empty()) return;
  // A clock stepped back since the last look moves the blocks made before
  // the step, not these, which are made on the clock as it is now.
  NoticeClockSteps();
  const TimeUs now = clock_->WallNow();
  blocks_->set_live_after(now - options_.live_horizon);
  std::string why;
  for (Decision& d : decisions_) {
    // A block's period runs on the clock: a line stamped ahead of it (a
    // clock stepped back, or local stamps read with the wrong [logs]
    // timezone) would make the block outlive its period, and would end the
    // other blocks early.
    if (d.at > now) {
      if (d.at - now > kLogAheadWarning)
        options_.log->Limited(LogLevel::kWarn, "blocks.ahead",
                              "a block decided on a line stamped " +
                                  std::to_string((d.at - now) / kUsPerSecond) +
                                  " s ahead of the clock: its period starts now (is [logs] "
                                  "timezone the log's?)",
                              now, RateLimit{1, 3600 * kUsPerSecond, /*say_when_full=*/false});
      d.at = now;
    }
    const Block* b = blocks_->Apply(d, &why);
    // Decided on old lines (catching up after a restart): recorded, never
    // enforced, so the flood's first live bounce decides it again
    // (helper-94: the detector took the key as decided for the whole period
    // and the flood went on unblocked).
    const TimeUs live_from = now - options_.live_horizon;
    const bool old_lines = d.at < live_from;
    if (old_lines) old_decision_ = std::max(old_decision_, d.at);
    if (b == nullptr) {
      if (why == "cap reached") detector_->NotTaken(d);  // decided again on its next bounce
      if (why == "blocked already" && old_lines) detector_->NotTaken(d, live_from);
      continue;
    }
    options_.log->Warn(std::string("block ") + BlockKindName(b->kind) + " " +
                       EscapeForLog(b->key, 120) + " until " + FormatRfc3339(b->expires) +
                       (b->live ? "" : " (old lines: recorded, not live)") + ": " +
                       EscapeForLog(b->reason, 200));
    if (old_lines) detector_->NotTaken(d, live_from);
    new_blocks_.push_back(*b);
  }
  for (Block& b : blocks_->TakeToSave()) new_blocks_.push_back(std::move(b));
}

void Agent::ReadOwnAddresses(TimeUs mono_now) {
  if (!options_.own_addresses || mono_now < next_own_read_) return;
  next_own_read_ = mono_now + options_.own_addresses_every;
  // Bounded: a host whose temporary IPv6 addresses change every day gains
  // one a day; an address it had stays allowlisted until a restart.
  constexpr size_t kMaxKnown = 4096;
  std::vector<Cidr> added;
  for (const Cidr& a : options_.own_addresses())
    if (own_known_.size() < kMaxKnown && own_known_.insert(a.ToString()).second) added.push_back(a);
  if (added.empty()) return;
  std::vector<std::string> names;
  for (const Cidr& a : added) names.push_back(a.ToString());
  const TimeUs now = clock_->WallNow();
  options_.log->Warn("never blocked from now on, an address of this machine since the start: " +
                     EscapeForLog(JoinItems(names, ' '), 300));
  if (detector_) detector_->NeverCountMore(added);
  for (const Block& b : blocks_->AllowMore(added, "an address of this machine", now))
    options_.log->Warn(std::string("block ") + BlockKindName(b.kind) + " " +
                       EscapeForLog(b.key, 120) + " ended: an address of this machine");
  for (Block& b : blocks_->TakeToSave()) new_blocks_.push_back(std::move(b));
  if (!new_blocks_.empty()) dirty_ = true;
}

TimeUs Agent::LogNow(TimeUs mono_now) const {
  return last_line_log_time_ == 0 ? 0 : last_line_log_time_ + (mono_now - last_line_mono_);
}

void Agent::ExchangeFleetCounts(TimeUs mono_now) {
  if (last_line_log_time_ == 0) return;  // no log time yet
  last_fleet_exchange_ = mono_now;
  const TimeUs log_now = LogNow(mono_now);
  const TimeUs window = std::max(options_.detector.subject_window, options_.detector.ip_window);
  writer_->ExchangeCounts(options_.fleet_agent, detector_->FleetCounts(log_now),
                          log_now - 2 * window);
  if (!options_.detector.answers.enabled || answers_in_flight_) return;
  // Its rows older than the answer window are dropped: they excuse nothing.
  answers_in_flight_ = true;
  AnswerRequest r;
  r.agent = options_.fleet_agent;
  r.mine = detector_->TakeLearnedAnswers(kFleetAnswersPerExchange);
  r.cursor = detector_->answer_cursor();
  r.wall_now = clock_->WallNow();
  r.mono_now = mono_now;
  r.since = log_now - options_.detector.answers.window;
  r.window = options_.detector.answers.window;
  r.limit = kFleetAnswersPerExchange;
  writer_->ExchangeAnswers(std::move(r));
}

void Agent::SayAnswerSources(const AnswerExchange& x) {
  for (const SharedAnswer& a : x.theirs) {
    if (answer_sources_.size() >= kMaxAnswerSources || !answer_sources_.insert(a.agent).second)
      continue;
    options_.log->Info("fleet-wide answers: reading the mail agent " + EscapeForLog(a.agent, 100) +
                       " relayed (its notices are not counted here)");
  }
}

void Agent::TakeFleetExchange(TimeUs mono_now) {
  const TimeUs log_now = LogNow(mono_now);
  if (auto theirs = writer_->TakeFleetCounts()) {
    detector_->SetFleetCounts(*theirs);
    if (log_now != 0) {
      decisions_.clear();
      detector_->CheckFleet(
          log_now, options_.tracker.host.empty() ? options_.fleet_agent : options_.tracker.host,
          &decisions_);
      if (!decisions_.empty()) detector_changed_ = dirty_ = true;
      ApplyDecisions();
    }
  }
  if (auto answers = writer_->TakeFleetAnswers()) {
    answers_in_flight_ = false;
    const AnswerCursor& was = detector_->answer_cursor();
    // Keys given back leave the state as the checkpoint has it.
    bool changed = false;
    if (answers->ok) {
      const AnswerCursor& is = answers->exchange.cursor;
      changed |=
          !answers->exchange.theirs.empty() || is.written != was.written || is.read != was.read;
      SayAnswerSources(answers->exchange);
      detector_->AddFleetAnswers(answers->exchange, log_now);
    }
    // Not published: kept for the next exchange. Alone, only the last
    // minutes' (an MX that starts soon after still hears of them; an agent
    // alone for good keeps no growing backlog).
    const bool alone = answers->ok && answers->exchange.alone;
    detector_->KeepUnsentAnswers(answers->unsent, alone ? log_now - kKeepWhileAlone : INT64_MIN);
    if (const int64_t lost = detector_->answers_not_shared(); lost > answers_not_shared_said_) {
      if (options_.log->Limited(LogLevel::kWarn, "answers.unshared",
                                "fleet-wide answers: " + std::to_string(lost) +
                                    " keys of relayed mail not shared (the store has not taken "
                                    "them for long): the other agents count their bounces",
                                mono_now))
        answers_not_shared_said_ = lost;
    }
    // How long the others' presences stood still, every 10 minutes even with
    // the log quiet: a reader restarted more often than the window still
    // takes an agent gone as gone (helper-76).
    if (answers->ok && !answers->exchange.cursor.heard.empty() &&
        (heard_saved_ < 0 || mono_now - heard_saved_ >= kHeardSaveEvery)) {
      heard_saved_ = mono_now;
      changed = true;
    }
    // Saved with the next checkpoint: what was learned, and the cursor past it.
    if (changed) detector_changed_ = dirty_ = true;
  }
}

}  // namespace mailtrail
