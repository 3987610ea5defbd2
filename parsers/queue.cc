// qmgr(8), pickup(8), bounce(8) and postsuper(1): the queue's own life events.
#include "parsers/daemons.h"
#include "parsers/scan.h"

namespace mailtrail::parsers {

namespace {
bool Noise(Event* ev) {
  ev->kind = EventKind::kNoise;
  return true;
}
bool IsSeverity(std::string_view s) {
  return s.substr(0, 9) == "warning: " || s.substr(0, 7) == "error: " ||
         s.substr(0, 7) == "fatal: " || s.substr(0, 7) == "panic: ";
}
}  // namespace

bool ParseQmgr(std::string_view msg, Event* ev) {
  std::string_view s = msg;
  if (!SplitQueueId(&s, ev) || ev->qid.empty()) {
    ev->qid = {};
    return IsSeverity(msg) ? Noise(ev) : false;
  }
  if (s == "removed") {
    ev->kind = EventKind::kRemoved;
    return true;
  }
  if (s.substr(0, 4) == "to=<") return ParseDelivery(msg, ev);  // qmgr-logged expiry/defer
  if (s.substr(0, 6) != "from=<") {
    return (s.substr(0, 8) == "skipped," || IsSeverity(s)) ? Noise(ev) : false;
  }
  s.remove_prefix(5);
  if (!scan::Address(&s, &ev->from) || !scan::Consume(&s, ", ")) return false;
  ev->has_from = true;
  if (scan::Consume(&s, "size=")) {
    std::string_view size, nrcpt;
    if (!scan::Until(&s, ", nrcpt=", &size) || !scan::Until(&s, " ", &nrcpt)) return false;
    int64_t n = 0;
    if (!scan::ParseInt(size, &ev->size) || !scan::ParseInt(nrcpt, &n)) return false;
    ev->nrcpt = static_cast<int>(n);
    ev->text = s;  // "(queue active)"
    ev->kind = EventKind::kQueued;
    return true;
  }
  // "status=force-expired": postsuper -e (Postfix 3.7 and later).
  if (scan::Consume(&s, "status=expired") || scan::Consume(&s, "status=force-expired")) {
    ev->kind = EventKind::kExpired;
    return true;
  }
  return false;
}

bool ParsePickup(std::string_view msg, Event* ev) {
  std::string_view s = msg;
  if (!SplitQueueId(&s, ev) || ev->qid.empty()) {
    ev->qid = {};
    return IsSeverity(msg) ? Noise(ev) : false;
  }
  if (!scan::Consume(&s, "uid=")) return false;
  if (!scan::Until(&s, " from=", &ev->uid)) return false;
  if (!scan::Address(&s, &ev->from)) return false;
  // postsuper -r: the id the message had before (pickup.c, MAIL_IS_REQUEUED).
  if (scan::Consume(&s, " orig_id=")) {
    ev->orig_queue_id = scan::LeadingQueueId(s);
    if (ev->orig_queue_id.size() != s.size()) return false;
    s = {};
  }
  if (!s.empty()) return false;
  ev->has_from = true;
  ev->kind = EventKind::kPickup;
  return true;
}

bool ParseBounce(std::string_view msg, Event* ev) {
  std::string_view s = msg;
  if (!SplitQueueId(&s, ev) || ev->qid.empty()) {
    ev->qid = {};
    return IsSeverity(msg) ? Noise(ev) : false;
  }
  static constexpr struct {
    std::string_view prefix;
    NoticeKind kind;
  } kKinds[] = {
      {"sender non-delivery notification: ", NoticeKind::kNonDelivery},
      {"sender delay notification: ", NoticeKind::kDelay},
      {"sender delivery status notification: ", NoticeKind::kSuccess},
      {"postmaster non-delivery notification: ", NoticeKind::kPostmaster},
      // notify_classes with delay (bounce_warn_service.c): the postmaster's
      // copy of a delay notice is a delay notice of the message.
      {"postmaster delay notification: ", NoticeKind::kDelay},
  };
  for (const auto& k : kKinds) {
    if (scan::Consume(&s, k.prefix)) {
      ev->next_qid = scan::LeadingQueueId(s);
      if (ev->next_qid.empty()) return false;
      ev->notice = k.kind;
      ev->kind = EventKind::kNotice;
      return true;
    }
  }
  return IsSeverity(s) ? Noise(ev) : false;
}

bool ParsePostsuper(std::string_view msg, Event* ev) {
  std::string_view s = msg;
  if (!SplitQueueId(&s, ev) || ev->qid.empty()) {
    ev->qid = {};
    // "Deleted: 3 messages", "Requeued: 1 message", ...
    return (IsSeverity(msg) || msg.find(": ") != std::string_view::npos) ? Noise(ev) : false;
  }
  if (s == "removed") {
    ev->kind = EventKind::kRemoved;
  } else if (s == "requeued") {
    ev->admin = AdminAction::kRequeued;
    ev->kind = EventKind::kAdmin;
  } else if (s == "placed on hold") {
    ev->admin = AdminAction::kHold;
    ev->kind = EventKind::kAdmin;
  } else if (s == "released from hold") {
    ev->admin = AdminAction::kReleased;
    ev->kind = EventKind::kAdmin;
  } else if (s == "expired") {
    ev->kind = EventKind::kNoise;  // postsuper -e: qmgr logs the expiry itself
  } else {
    return false;
  }
  return true;
}

}  // namespace mailtrail::parsers
