#include "agent/replay/line_stats.h"

#include "base/text.h"

namespace mailtrail {

namespace {
// A field the record will keep cut (CapField): said, not silent.
bool HasLongField(const Event& ev) {
  for (std::string_view f : {ev.from, ev.to, ev.orig_to, ev.text, ev.reply, ev.helo, ev.client_host,
                             ev.message_id, ev.sasl_username, ev.relay, ev.verdict})
    if (f.size() > kMaxFieldBytes) return true;
  return false;
}
}  // namespace

void LineCounter::Count(const Event& ev, std::string_view line) {
  ++lines_;
  ++by_kind_[static_cast<int>(ev.kind)];
  if (HasLongField(ev)) ++long_fields_;
  if (ev.cut) ++cut_;
  if (ev.kind != EventKind::kUnknown && ev.kind != EventKind::kUnparsable) return;
  const std::string program =
      ev.kind == EventKind::kUnparsable ? "(no envelope)" : EscapeForLog(ev.program, 40);
  auto it = unknown_by_program_.find(program);
  if (it == unknown_by_program_.end()) {
    if (unknown_by_program_.size() >= kMaxPrograms) {
      ++unknown_by_program_["(other)"];
      return;
    }
    it = unknown_by_program_.emplace(program, 0).first;
  }
  ++it->second;
  auto& s = samples_[program];
  if (s.size() < kMaxSamplesPerProgram) s.push_back(EscapeForLog(line, 300));
}

LineStats LineCounter::ToStats() const {
  LineStats out;
  for (int k = 0; k < kEventKindCount; ++k)
    if (by_kind_[k]) out.kinds[EventKindName(static_cast<EventKind>(k))] = by_kind_[k];
  if (overlong_) out.kinds["overlong"] = overlong_;
  if (long_fields_) out.kinds["long_field"] = long_fields_;
  if (cut_) out.kinds["cut_by_postfix"] = cut_;
  if (amavis_joined_) out.kinds["amavis_joined"] = amavis_joined_;
  if (amavis_joined_unknown_) out.kinds["amavis_joined_unknown"] = amavis_joined_unknown_;
  if (amavis_lost_) out.kinds["amavis_lost"] = amavis_lost_;
  if (amavis_refused_) out.kinds["amavis_refused"] = amavis_refused_;
  for (const auto& [program, n] : unknown_by_program_) out.kinds["unknown:" + program] = n;
  for (const auto& [program, lines] : samples_)
    for (const auto& l : lines) out.unknown_samples.emplace_back(program, l);
  return out;
}

}  // namespace mailtrail
