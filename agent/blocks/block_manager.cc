#include "agent/blocks/block_manager.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <iterator>
#include <limits>

#include "agent/detect/subject.h"
#include "base/text.h"

namespace mailtrail {

std::vector<Cidr> NeverBlocked(const BlockPolicy& p) {
  std::vector<Cidr> out = p.allow_cidrs;
  if (out.empty())
    for (const char* c : {"127.0.0.0/8", "::1/128"}) out.push_back(*Cidr::Parse(c));
  for (const AllowEntry& e : AlwaysProtected()) out.push_back(e.net);
  return out;
}

// Each manager counts its versions from an epoch of its own: a reload's new
// manager that made as many changes as the old one must not look unchanged
// to whoever compares versions (LiveEnforcement kept the old set enforced,
// helper-110).
namespace {
// Adds the forms of `from` that `to` lacks; whether any was added. Up to 16:
// a flood's 8 (the detector's bound) and those of a row by hand beside it.
// At 8 a hand row's form that came first pushed a flood's eighth out for
// good (helper-112 F6).
bool AddForms(const std::vector<std::string>& from, std::vector<std::string>* to) {
  constexpr size_t kMaxForms = 16;
  bool added = false;
  for (const std::string& f : from) {
    if (to->size() >= kMaxForms) break;
    if (std::find(to->begin(), to->end(), f) != to->end()) continue;
    to->push_back(f);
    added = true;
  }
  return added;
}

uint64_t NewVersionEpoch() {
  static std::atomic<uint64_t> epochs{0};
  return (epochs.fetch_add(1) + 1) << 32;
}
}  // namespace

BlockManager::BlockManager(BlockPolicy policy)
    : p_(std::move(policy)), strikes_(p_.max_period), version_(NewVersionEpoch()) {
  if (p_.allow_cidrs.empty()) {
    for (const char* c : {"127.0.0.0/8", "::1/128"}) p_.allow_cidrs.push_back(*Cidr::Parse(c));
  }
  for (const AllowEntry& e : AlwaysProtected()) allow_.Add(e.net, e.source);
  for (const Cidr& c : p_.allow_cidrs) allow_.Add(c, "allowlist");
}

std::string BlockManager::Refusal(BlockKind kind, const std::string& key, bool length) const {
  if (kind == BlockKind::kIp || kind == BlockKind::kCidr) {
    // A bare address parses as a /32 or /128.
    auto net = Cidr::Parse(key);
    if (!net || (kind == BlockKind::kIp && key.find('/') != std::string::npos))
      return "not an address";  // never blocked
    if (const AllowEntry* e = allow_.Overlapping(*net))
      return "allowlisted: " + e->net.ToString() + " (" + e->source + ")";
    return "";
  }
  if (kind == BlockKind::kSubject) {
    const std::string n = NormalizeSubject(key);
    if (std::find(p_.allow_subjects.begin(), p_.allow_subjects.end(), n) != p_.allow_subjects.end())
      return "allowlisted subject";
    if (length && SubjectChars(n) < p_.min_subject_chars)
      return "subject shorter than " + std::to_string(p_.min_subject_chars) +
             " characters once normalised";
  }
  return "";
}

void BlockManager::SayOnce(BlockKind kind, const std::string& key, const std::string& what,
                           TimeUs now) {
  if (said_.size() >= 100000) return;  // bounded: a store of junk is not remembered
  if (!said_.insert({kind, key}).second) return;
  log->Limited(LogLevel::kWarn, "blocks.refused", what, now,
               RateLimit{10, 60 * kUsPerSecond, /*say_when_full=*/true});
}

const Block* BlockManager::Apply(const Decision& d, std::string* why_not) {
  Block b;
  b.kind = d.kind == Decision::Kind::kSubject     ? BlockKind::kSubject
           : d.key.find('/') != std::string::npos ? BlockKind::kCidr  // an IPv6 /64
                                                  : BlockKind::kIp;
  b.key = d.key;
  b.raw_subjects = d.raw_subjects;
  b.reason = d.reason;
  b.rule = d.rule;
  b.origin_host = p_.origin_host.empty() ? d.host : p_.origin_host;
  b.created = d.at;
  b.evidence = d.evidence;
  b.live = p_.live && d.at >= live_after_;
  for (std::string& raw : b.raw_subjects) raw = OneLine(raw);
  Expire(d.at);
  const auto id = std::make_pair(b.kind, b.key);
  if (Allowed(b.kind, b.key)) {
    ++allowlisted_;
    *why_not = "allowlisted";
    return nullptr;
  }
  if (b.kind == BlockKind::kSubject && SubjectChars(b.key) < p_.min_subject_chars) {
    ++short_subjects_;
    *why_not = "subject too short";
    SayOnce(b.kind, b.key,
            "not blocking subject '" + EscapeForLog(b.key, 120) + "': " +
                std::to_string(SubjectChars(b.key)) + " characters once normalised, fewer than " +
                std::to_string(p_.min_subject_chars) + " ([blocks] min_subject_chars)",
            d.at);
    return nullptr;
  }
  // A live decision over a block recorded from old lines (a restart's
  // catch-up), which nothing enforced, takes its place (helper-94).
  const auto replaced = active_.find(id);
  if (replaced != active_.end() && (!b.live || replaced->second.live)) {
    // A subject's flood under a block of it (one by hand): its forms join
    // the block in force, or its wrapped ones ("Undeliverable: ...") passed
    // header_checks for the period (helper-115).
    if (b.kind == BlockKind::kSubject && AddForms(b.raw_subjects, &replaced->second.raw_subjects)) {
      ++version_;
      if (to_save_.size() < 10000) to_save_.push_back(replaced->second);
    }
    *why_not = "blocked already";
    return nullptr;
  }
  const bool counts = b.live || !p_.live;  // a strike; else decided from old lines
  if (replaced == active_.end()) {
    TimeUs until = std::numeric_limits<TimeUs>::min();
    if (auto it = until_.find(id); it != until_.end()) until = it->second;
    if (auto it = until_old_.find(id); !counts && it != until_old_.end())
      until = std::max(until, it->second);
    if (until > d.at) {
      *why_not = "blocked already";  // at d.at, though ended by the clock
      return nullptr;
    }
  }
  // Caps: active blocks (a replacement adds none), and new ones per minute of
  // log time. A refused replacement leaves the old block (helper-98).
  recent_.erase(std::remove_if(recent_.begin(), recent_.end(),
                               [&](TimeUs t) { return t <= d.at - 60 * kUsPerSecond; }),
                recent_.end());
  const size_t others = active_.size() - (replaced != active_.end() ? 1 : 0);
  const bool over =
      others >= p_.max_active || static_cast<int>(recent_.size()) >= p_.max_new_per_minute;
  if (over) {
    CountCapped(id, d.at);
    *why_not = "cap reached";
    log->Limited(LogLevel::kWarn, "blocks.cap",
                 "block cap reached (" + std::to_string(active_.size()) + " active, " +
                     std::to_string(recent_.size()) + " new in the last minute): not blocking " +
                     BlockKindName(b.kind) + " " + EscapeForLog(b.key, 120) + "; " +
                     std::to_string(capped_) + " decisions refused so far",
                 d.at);
    return nullptr;
  }
  if (replaced != active_.end()) {
    // The old one, decided from old lines, was no strike (below).
    if (p_.keep_history) history_.push_back(std::move(replaced->second));
    made_here_.erase(IdOf(replaced->second));
    active_.erase(replaced);
    ++version_;
  }
  // A block is a strike for max_period after its end: a key blocked again a
  // week later starts over (fail2ban forgets its bans after a day). One a
  // live agent decided from old lines (a restart's catch-up) is none: nothing
  // enforced it, as Restore skips such rows. It counted once it had ended
  // (only a live block replacing it took the strike back), and a catch-up
  // more than max_period behind, whose old rows the start no longer reads,
  // doubled the next live block (helper-113).
  b.strikes = strikes_.At(id, d.at) + 1;
  const double factor = std::pow(std::max(1.0, p_.escalation), b.strikes - 1);
  const double period = std::min(static_cast<double>(p_.max_period), p_.period * factor);
  b.expires = b.created + static_cast<TimeUs>(period);
  if (counts) {
    strikes_.Count(id, b);
    until_[id] = b.expires;
  } else {
    TimeUs& until = until_old_[id];
    until = std::max(until, b.expires);
  }
  recent_.push_back(d.at);
  next_expiry_ = std::min(next_expiry_, b.expires);
  ++version_;
  if (b.live) MadeHereStarted(b);
  return &(active_[id] = std::move(b));
}

const Block* BlockManager::Add(Block b, std::string* why_not) {
  if (Allowed(b.kind, b.key)) {
    *why_not = "allowlisted";
    return nullptr;
  }
  if (b.kind == BlockKind::kSubject && SubjectChars(b.key) < p_.min_subject_chars) {
    *why_not = "subject too short";
    return nullptr;
  }
  for (std::string& raw : b.raw_subjects) raw = OneLine(raw);
  const auto id = std::make_pair(b.kind, b.key);
  b.strikes = strikes_.At(id, b.created) + 1;
  strikes_.Count(id, b);
  next_expiry_ = std::min(next_expiry_, b.expires);
  ++version_;
  if (b.live) MadeHereStarted(b);
  return &(active_[id] = std::move(b));
}

std::vector<Block> BlockManager::Restore(const std::vector<Block>& stored, TimeUs now) {
  // A row of a block this agent moved back may be older than the move (a
  // refresh read before it was saved): it is read with the move.
  std::vector<Block> saved;
  saved.reserve(stored.size());
  for (const Block& b : stored) {
    // A dry run's decisions were never enforced: to a live agent they are no
    // strike, and block nothing (else the real flood was "blocked already").
    if (p_.live && !b.live) continue;
    saved.push_back(b);
    saved.back().expires = EndHere(b);
  }
  std::vector<Block> added;
  for (const Block& b : saved) {
    const auto id = std::make_pair(b.kind, b.key);
    auto it = active_.find(id);
    const bool ahead = (it == active_.end() || it->second.created != b.created) &&
                       MadeTooFarAhead(b, now, p_.max_period);
    // One too far ahead is no strike and no "blocked already": a new flood is
    // blocked on this clock, with the period of a first strike. Nor is one
    // removed by hand (a mistake), nor one that ended more than max_period
    // ago (Apply forgets strikes then too). Else the most strikes of any
    // (a block added by hand has one, and must not reset a repeat offender's).
    if (b.removed) {
      strikes_.Forget(id, b.created);
    } else if (!ahead) {
      TimeUs& until = until_[id];
      until = std::max(until, b.expires);
      if (b.expires + p_.max_period > now) strikes_.Count(id, b);
    }
    // A removed row keeps its removal as its end: after the clock is set
    // back before that, it is still no block (helper-117 F4).
    if (b.expires <= now || b.removed) continue;
    const std::string why =
        ahead ? MadeAheadReason(b, now) : Refusal(b.kind, b.key, /*length=*/true);
    if (!why.empty()) {
      if (said_.count(id) == 0 && said_.size() < 100000) ++not_enforced_;
      SayOnce(b.kind, b.key,
              "not enforcing " + std::string(BlockKindName(b.kind)) + " " +
                  EscapeForLog(b.key, 120) + " (decided by " + EscapeForLog(b.origin_host, 100) +
                  "): " + why,
              now);
      continue;
    }
    if (it == active_.end()) {
      added.push_back(b);
      active_[id] = b;
      ++version_;
    } else {
      // Rows of one subject (a flood's block, a longer one by hand) are one
      // block with every form either saw: header_checks refuses each. The
      // longer row replaced the other whole, and the flood's wrapped forms
      // passed while both were listed active (helper-110).
      bool changed = AddForms(b.raw_subjects, &it->second.raw_subjects);
      if (it->second.expires < b.expires) {
        // Extended in the store (the console, another agent): the firewall's
        // kernel timeouts hold the old end and must hear of the new one.
        std::vector<std::string> forms = std::move(it->second.raw_subjects);
        it->second = b;
        AddForms(forms, &it->second.raw_subjects);
        changed = true;
      }
      if (changed) ++version_;
    }
    next_expiry_ = std::min(next_expiry_, b.expires);
  }
  if (EndEarlier(saved, now)) Expire(now);
  return added;
}

std::vector<Block> BlockManager::AllowMore(const std::vector<Cidr>& nets, const std::string& source,
                                           TimeUs now) {
  for (const Cidr& n : nets) allow_.Add(n, source);
  std::vector<Block> ended;
  for (auto& [id, b] : active_) {
    if (b.kind == BlockKind::kSubject || b.expires <= now || Refusal(b.kind, b.key).empty())
      continue;
    strikes_.Forget(id, b.created);
    until_.erase(id);
    const auto mine = made_here_.find(IdOf(b));
    b.expires = now;
    if (mine != made_here_.end() && !mine->second.ended && to_save_.size() < 10000)
      to_save_.push_back(b);
    ended.push_back(b);
  }
  if (!ended.empty()) {
    next_expiry_ = now;
    Expire(now);
  }
  return ended;
}

// The store is where `blocks remove` (and any other earlier end) is written:
// the same block (kind, key, created) ending earlier there ends earlier here,
// so every backend fed from Active() drops it (issue 19 item 2). A block the
// store has no row for (not saved yet) is left alone: absence is no end.
bool BlockManager::EndEarlier(const std::vector<Block>& saved, TimeUs now) {
  bool ended_now = false;
  for (const Block& b : saved) {
    auto it = active_.find({b.kind, b.key});
    if (it == active_.end() || it->second.created != b.created || b.expires >= it->second.expires)
      continue;
    strikes_.MoveEnd(it->first, b.created, b.expires);
    it->second.expires = b.expires;
    next_expiry_ = std::min(next_expiry_, b.expires);
    ++version_;  // the firewall's kernel timeouts take the new end
    // Its old end made the next flood "blocked already" until then; removed
    // (by hand: a mistake), nothing holds the key and it is no strike.
    until_[it->first] = b.expires;
    if (b.removed) {
      until_.erase(it->first);
      strikes_.Forget(it->first, b.created);
    }
    if (ended_.size() < 10000) ended_.push_back(it->second);
    if (b.expires > now) continue;  // shortened: Expire() ends it on time
    ++ended_by_store_;
    ended_now = true;
    log->Warn(std::string("block ") + BlockKindName(b.kind) + " " + EscapeForLog(b.key, 120) +
              " ended by the store (at " + FormatRfc3339(b.expires) + ")");
  }
  return ended_now;
}

void BlockManager::Expire(TimeUs now) {
  // Once an hour: what ended two max_periods ago is no strike and holds no
  // key "blocked already" (one max_period, and as much again for a clock
  // that steps back).
  if (now >= next_sweep_) {
    next_sweep_ = now + 3600 * kUsPerSecond;
    const TimeUs before = now - 2 * p_.max_period;
    strikes_.Sweep(before);
    std::erase_if(until_, [before](const auto& e) { return e.second < before; });
    std::erase_if(until_old_, [before](const auto& e) { return e.second < before; });
    SweepMadeHere(before);
  }
  while (!recently_ended_.empty() && recently_ended_.front().first < now - 60 * kUsPerSecond)
    recently_ended_.pop_front();
  if (now < next_expiry_) return;  // nothing is due: no scan
  next_expiry_ = std::numeric_limits<TimeUs>::max();
  for (auto it = active_.begin(); it != active_.end();) {
    if (it->second.expires <= now) {
      MadeHereEnded(it->second);
      if (ended_.size() < 10000) ended_.push_back(it->second);
      if (recently_ended_.size() < 10000) recently_ended_.emplace_back(now, IdOf(it->second));
      if (p_.keep_history) history_.push_back(std::move(it->second));
      it = active_.erase(it);
      ++version_;
    } else {
      next_expiry_ = std::min(next_expiry_, it->second.expires);
      ++it;
    }
  }
}

bool BlockManager::IsBlocked(BlockKind kind, const std::string& key, TimeUs now) const {
  auto it = active_.find({kind, key});
  return it != active_.end() && it->second.expires > now;
}

std::vector<BlockId> BlockManager::RefreshIds() const {
  std::vector<BlockId> out;
  out.reserve(active_.size() + recently_ended_.size());
  for (const auto& [id, b] : active_) out.push_back(IdOf(b));
  for (const auto& [end, id] : recently_ended_) out.push_back(id);
  return out;
}

std::vector<Block> BlockManager::Active() const {
  std::vector<Block> out;
  for (const auto& [id, b] : active_) out.push_back(b);
  std::sort(out.begin(), out.end(),
            [](const Block& a, const Block& b) { return a.created < b.created; });
  return out;
}

// The detector decides a refused key again at its next bounce (so that a
// flood is blocked once the cap has room): each key is counted once a
// minute of log time, not once a bounce. Bounded: past 100,000 keys in a
// minute each refusal counts.
void BlockManager::CountCapped(const std::pair<BlockKind, std::string>& id, TimeUs at) {
  while (!capped_order_.empty() && capped_order_.front().first <= at - 60 * kUsPerSecond) {
    capped_recent_.erase(capped_order_.front().second);
    capped_order_.pop_front();
  }
  if (capped_recent_.count(id) != 0) return;
  ++capped_;
  if (capped_recent_.size() >= 100000) return;
  capped_recent_.insert(id);
  capped_order_.emplace_back(at, id);
}

}  // namespace mailtrail
