// FloodDetector::OnDeferral: a bounce counted at its first deferral
// (counted_open.h says why).
#include "agent/detect/bounce.h"
#include "agent/detect/flood_detector.h"

namespace mailtrail {

void FloodDetector::OnDeferral(const MessageRecord& open, std::vector<Decision>* out) {
  if (open.qid.empty() || ClassifyBounce(open) == BounceSignal::kNone) return;
  bool ours = false;
  if (!CountsFromItsClient(open, &ours) || ours) return;
  if (!counted_open_.Note({open.host, open.qid, open.first_seen}, open.last_seen)) return;
  CountBounce(open, /*ours=*/false, out);
}

}  // namespace mailtrail
