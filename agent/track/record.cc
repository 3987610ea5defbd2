#include "agent/track/record.h"

#include <cstdio>
#include <iterator>

#include "agent/track/relay.h"
#include "base/hash.h"
#include "base/text.h"

namespace mailtrail {

namespace {
constexpr const char* kOutcomeNames[kOutcomeCount] = {
    "in_flight", "delivered", "bounced", "deferred",    "expired",       "rejected",
    "discarded", "held",      "mixed",   "deliverable", "undeliverable",
};
}  // namespace

std::string CapField(std::string_view s) {
  if (s.size() <= kMaxFieldBytes) return std::string(s);
  char tag[24];
  std::snprintf(tag, sizeof(tag), "~h%016llx", static_cast<unsigned long long>(Fnv1a64(s)));
  std::string out(TruncateUtf8(s, kMaxFieldBytes - 18));
  out += tag;
  return out;
}

const char* OutcomeName(Outcome o) { return kOutcomeNames[static_cast<int>(o)]; }

std::vector<std::string> OutcomeNamesShown() {
  constexpr Outcome kShown[] = {
      Outcome::kDelivered,   Outcome::kBounced,       Outcome::kDeferred, Outcome::kExpired,
      Outcome::kRejected,    Outcome::kDiscarded,     Outcome::kHeld,     Outcome::kMixed,
      Outcome::kDeliverable, Outcome::kUndeliverable, Outcome::kInFlight,
  };
  static_assert(std::size(kShown) == kOutcomeCount, "every outcome is shown");
  std::vector<std::string> names;
  for (Outcome o : kShown) names.push_back(OutcomeName(o));
  return names;
}

std::optional<Outcome> OutcomeFromName(std::string_view name) {
  for (int i = 0; i < kOutcomeCount; ++i)
    if (name == kOutcomeNames[i]) return static_cast<Outcome>(i);
  return std::nullopt;
}

const char* RecordEndName(RecordEnd e) {
  switch (e) {
    case RecordEnd::kRemoved:
      return "removed";
    case RecordEnd::kSession:
      return "session";
    case RecordEnd::kStale:
      return "stale";
    case RecordEnd::kOpen:
      return "open";
  }
  return "open";
}

bool HandedToNextLeg(const MessageRecord& r, const RecipientRecord& rc) {
  if (rc.outcome != Outcome::kDelivered || r.child_qids.empty()) return false;
  return rc.relay == kRequeueRelay || ParseRelay(rc.relay).IsContentFilter();
}

Outcome ComputeOutcome(const MessageRecord& r) {
  if (r.recipients.empty()) {
    if (r.reject) {
      if (IsHoldAction(r.reject->action)) return Outcome::kHeld;
      if (IsDiscardAction(r.reject->action)) return Outcome::kDiscarded;
      return Outcome::kRejected;
    }
    if (r.end == RecordEnd::kStale || r.end == RecordEnd::kSession) return Outcome::kExpired;
    if (r.end == RecordEnd::kRemoved) return Outcome::kDiscarded;
    return Outcome::kInFlight;
  }
  Outcome common = r.recipients.front().outcome;
  bool mixed = false;
  for (const auto& rc : r.recipients) {
    if (rc.outcome == Outcome::kInFlight) return Outcome::kInFlight;
    if (rc.outcome != common) mixed = true;
  }
  if (!mixed && r.end == RecordEnd::kOpen && r.nrcpt > 0 &&
      r.recipients.size() < static_cast<size_t>(r.nrcpt) && common != Outcome::kHeld)
    return Outcome::kInFlight;
  return mixed ? Outcome::kMixed : common;
}

}  // namespace mailtrail
