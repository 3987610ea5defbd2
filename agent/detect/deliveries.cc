// FloodDetector and the deliveries of records still open: mail of ours
// learned as it is delivered (answers recognised while its other recipients
// wait), and a bounce counted at its first deferral (counted_open.h says why).
#include "agent/detect/bounce.h"
#include "agent/detect/flood_detector.h"

namespace mailtrail {

void FloodDetector::OnDelivery(const MessageRecord& r, const RecipientRecord& rc) {
  // Cheapest first: most deliveries are not mail of ours sent to another MTA
  // (its sender is known, so ClassifyBounce() takes it for no bounce).
  if (!OutboundMemory::Relayed(r, rc)) {
    if (OutboundMemory::ToContentFilter(r, rc)) outbound_.LearnFilterLeg(r, rc);
    return;
  }
  if (rules_) {  // a bounce by the admin's rules is none of our mail
    for (size_t i : rules_->Matches(r))
      if (rules_->specs()[i].action == RuleAction::kCount) return;
  }
  outbound_.Learn(r, rc);
}

MessageRecord DeliveryFacts(const MessageRecord& r, size_t i) {
  MessageRecord one;
  one.host = r.host;
  one.qid = r.qid;
  one.sender = r.sender;
  one.message_id = r.message_id;
  one.subject = r.subject;
  one.header_from = r.header_from;
  one.recipients.push_back(r.recipients.at(i));
  return one;
}

void FloodDetector::OnDeferral(const MessageRecord& open, std::vector<Decision>* out) {
  if (open.qid.empty() || ClassifyBounce(open) == BounceSignal::kNone) return;
  bool ours = false;
  if (!CountsFromItsClient(open, &ours) || ours) return;
  if (!counted_open_.Note({open.host, open.qid, open.first_seen}, open.last_seen)) return;
  CountBounce(open, /*ours=*/false, out);
}

}  // namespace mailtrail
