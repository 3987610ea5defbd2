// PlanAnswerExchange: see answer_plan.h.
#include "agent/store/answer_plan.h"

#include <algorithm>

namespace mailtrail {

TimeUs AnswerGoneAfter(TimeUs window) { return std::max(window, 3 * kAnswerPresenceRefresh); }

AnswerPlan PlanAnswerExchange(const AnswerRequest& r, const std::vector<AnswerPresence>& agents) {
  AnswerPlan p;
  const TimeUs gone_after = AnswerGoneAfter(r.window);
  // The time since the last read, a minute at most (none after a restart, or
  // with a clock that went back).
  const TimeUs step = r.cursor.heard_at == 0 ? 0
                                             : std::clamp(r.mono_now - r.cursor.heard_at, TimeUs{0},
                                                          kAnswerPresenceRefresh);
  p.cursor.heard_at = r.mono_now;
  const AnswerPresence* me = nullptr;
  bool anyone = false;
  for (const AnswerPresence& o : agents) {
    if (o.agent == r.agent) {
      me = &o;
      continue;
    }
    // Unchanged since this agent last read it: it has stood still `step`
    // longer. A row first read (this agent new) has just moved.
    HeardAgent h{o.seen, o.seq, 0, o.born};
    auto was = r.cursor.heard.find(o.agent);
    const bool reborn = was != r.cursor.heard.end() && was->second.born != o.born &&
                        was->second.born != HeardAgent::kBornUnknown;
    if (was != r.cursor.heard.end() && !reborn && was->second.seen == o.seen &&
        was->second.seq == o.seq)
      h.stood = std::clamp(was->second.stood, TimeUs{0}, gone_after) + step;  // a state's any value
    p.cursor.heard[o.agent] = h;
    auto at = r.cursor.read.find(o.agent);
    int64_t after = at == r.cursor.read.end() ? 0 : at->second;
    // Written again from the start: a row made anew since this agent last
    // looked (whoever deleted the old), or numbers below where it stood.
    if (reborn || o.seq < after) after = 0;
    // Kept while its row is there: one back before its rows are all gone
    // is read on from where it was.
    p.cursor.read[o.agent] = after;
    if (h.stood >= gone_after) {
      p.gone.push_back(o);
      continue;
    }
    anyone = true;
    if (o.seq != after) p.read.push_back({o.agent, after});
  }
  p.alone = !anyone;
  const int64_t my_seq = me ? me->seq : 0;
  p.first = std::max(r.cursor.written, my_seq);
  p.last = p.first + (p.alone ? 0 : static_cast<int64_t>(r.mine.size()));
  p.cursor.written = p.last;
  // Due by the monotonic clock, whatever the wall clock does; the value
  // written always differs from the last, so the others see it move.
  p.say_present = !me || p.last != my_seq || r.cursor.said_at == 0 ||
                  r.mono_now - r.cursor.said_at >= kAnswerPresenceRefresh ||
                  r.mono_now < r.cursor.said_at;
  p.seen = me && me->seen == r.wall_now ? r.wall_now + 1 : r.wall_now;
  p.born = me ? me->born : r.wall_now;
  p.cursor.said_at = p.say_present ? r.mono_now : r.cursor.said_at;
  return p;
}

}  // namespace mailtrail
