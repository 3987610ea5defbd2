#include "agent/track/record.h"

#include <cctype>
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

namespace {
constexpr std::string_view kQueuedAs = "queued as ";
}  // namespace

bool MayHaveGoneOn(const RecipientRecord& rc) {
  if (rc.outcome != Outcome::kDelivered) return false;
  if (rc.relay == kRequeueRelay) return true;
  return rc.status_text.find(kQueuedAs) != std::string::npos &&
         ParseRelay(rc.relay).IsContentFilter();
}

bool HandedToNextLeg(const MessageRecord& r, const RecipientRecord& rc) {
  if (r.child_qids.empty() || !MayHaveGoneOn(rc)) return false;
  if (rc.relay == kRequeueRelay) return true;
  // The leg the reply names: "queued as QID", the id whole.
  const std::string_view text = rc.status_text;
  for (size_t at = text.find(kQueuedAs); at != text.npos; at = text.find(kQueuedAs, at + 1)) {
    const size_t from = at + kQueuedAs.size();
    size_t end = from;
    while (end < text.size() && std::isalnum(static_cast<unsigned char>(text[end]))) ++end;
    const std::string_view qid = text.substr(from, end - from);
    for (const std::string& child : r.child_qids)
      if (!qid.empty() && child == qid) return true;
  }
  return false;
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
