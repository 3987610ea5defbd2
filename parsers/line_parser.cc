#include "parsers/line_parser.h"

#include "parsers/daemons.h"

namespace mailtrail {

namespace {

using DaemonParser = bool (*)(std::string_view, Event*);

// The explicit table of daemon families (docs/style.md rule 7: a table, not a registry).
struct DaemonEntry {
  std::string_view daemon;
  DaemonParser parse;  // nullptr: a known daemon whose lines carry nothing for tracking
};

constexpr DaemonEntry kDaemons[] = {
    {"smtpd", parsers::ParseSmtpd},
    {"cleanup", parsers::ParseCleanup},
    {"qmgr", parsers::ParseQmgr},
    {"oqmgr", parsers::ParseQmgr},
    {"smtp", parsers::ParseDelivery},
    {"lmtp", parsers::ParseDelivery},
    {"local", parsers::ParseDelivery},
    {"virtual", parsers::ParseDelivery},
    {"pipe", parsers::ParseDelivery},
    {"error", parsers::ParseDelivery},
    {"retry", parsers::ParseDelivery},
    {"discard", parsers::ParseDelivery},
    {"relay", parsers::ParseDelivery},
    {"bounce", parsers::ParseBounce},
    {"pickup", parsers::ParsePickup},
    {"postsuper", parsers::ParsePostsuper},
    {"postscreen", parsers::ParsePostscreen},
    {"amavis", parsers::ParseAmavis},
    {"amavisd", parsers::ParseAmavis},
    {"master", nullptr},
    {"postfix-script", nullptr},
    {"postlogd", nullptr},
    {"anvil", nullptr},
    {"scache", nullptr},
    {"tlsmgr", nullptr},
    {"verify", nullptr},
    {"trivial-rewrite", nullptr},
    {"proxymap", nullptr},
    {"postdrop", nullptr},
    {"sendmail", nullptr},
    {"showq", nullptr},
    {"tlsproxy", nullptr},
    {"dnsblog", nullptr},
    {"flush", nullptr},
    {"spawn", nullptr},
    {"postmap", nullptr},
    {"postqueue", nullptr},
    {"postlog", nullptr},
    {"postmulti", nullptr},
    {"policyscreen", nullptr},
};

[[gnu::always_inline]] inline const DaemonEntry* FindDaemon(std::string_view daemon) {
  if (daemon.empty()) return nullptr;
  for (const auto& d : kDaemons)  // the busiest daemons come first
    if (d.daemon[0] == daemon[0] && d.daemon == daemon) return &d;
  return nullptr;
}

// Postfix writes at most 2000 bytes of a record's text (MSG_SYSLOG_RECLEN in
// msg_syslog.c, MSG_LOGGER_RECLEN in msg_logger.c), after "warning: " and
// the like for the other severities, and marks no cut. A line that long may
// have lost its end (taken as cut: one Postfix wrote whole at exactly 2000
// bytes is not told apart).
bool CutByPostfix(std::string_view message) {
  constexpr size_t kRecordLength = 2000;
  if (message.size() < kRecordLength) return false;
  for (std::string_view severity : {"warning: ", "error: ", "fatal: ", "panic: "})
    if (message.substr(0, severity.size()) == severity)
      return message.size() >= kRecordLength + severity.size();
  return true;
}

// What of a cut line was read from its right, where the cut falls. A
// trailer (from=, to=, proto=, helo=; a header line's client before it): the
// real one is gone, and what parses in its place may be a forgery the sender
// placed there, a long quoted address pushing the line past 2000 bytes
// (helper-118: a provider's shared MTA blocked, a forwarder's mail read as
// null-sender). A delivery's "queued as" is searched for in a reply that lost
// its end. The rest was read from the left and stands: qmgr's and pickup's
// sender, a delivery's recipient (clearing them made mail null-sender and
// merged recipients, helper-119). docs/security.md rule 1.
void DropTheRightOfACutLine(Event* ev) {
  ev->cut = true;
  switch (ev->kind) {
    case EventKind::kHeader:
      ev->client_host = ev->client_ip = {};
      [[fallthrough]];
    case EventKind::kSmtpdAction:
    case EventKind::kProxyAccept:
      ev->from = ev->to = ev->proto = ev->helo = ev->reply = {};
      ev->has_from = false;
      ev->trailer_cut = true;
      break;
    case EventKind::kDelivery:
      ev->next_qid = {};
      break;
    default:
      break;
  }
}

}  // namespace

bool IsAmavis(std::string_view daemon) { return daemon == "amavis" || daemon == "amavisd"; }

bool LinesCanChangeRecords(std::string_view program) {
  const size_t slash = program.rfind('/');
  if (slash == std::string_view::npos) return IsAmavis(program);
  const DaemonEntry* entry = FindDaemon(program.substr(slash + 1));
  // An unknown daemon's lines are counted as such (stats): still Postfix's.
  return entry == nullptr || entry->parse != nullptr;
}

Event ParseLine(std::string_view line, const ParseContext& ctx) {
  Event ev;
  if (line.size() > kMaxLineLength) return ev;  // kUnparsable
  if (!ParseEnvelope(line, ctx, &ev)) return ev;
  const bool postfix_like = ev.program.find('/') != std::string_view::npos;
  const DaemonEntry* entry = FindDaemon(ev.daemon);
  if (entry == nullptr || (!postfix_like && !IsAmavis(ev.daemon))) {
    ev.kind = postfix_like ? EventKind::kUnknown : EventKind::kForeign;
    return ev;
  }
  if (entry->parse == nullptr) {
    ev.kind = EventKind::kNoise;
    return ev;
  }
  const std::string_view msg = ev.message;
  const bool cut = postfix_like && CutByPostfix(msg);
  ev.cut = cut;  // the daemon parsers read no trailer of a cut line
  if (!entry->parse(msg, &ev)) {
    // Clear what the daemon parser filled in part. (One named result on every
    // path, so that it is constructed in place: Event is large.)
    ev = Event();
    static_cast<void>(ParseEnvelope(line, ctx, &ev));
    ev.kind = EventKind::kUnknown;
  }
  if (cut) DropTheRightOfACutLine(&ev);
  return ev;
}

DatedLineParser::DatedLineParser(int utc_offset_seconds, int ref_year, int ref_month)
    : year_known_(false), ref_month_(ref_month) {
  ctx_.year = ref_year;
  ctx_.utc_offset_seconds = utc_offset_seconds;
}

DatedLineParser DatedLineParser::WithYear(int utc_offset_seconds, int year) {
  DatedLineParser p(utc_offset_seconds, year, 12);
  p.year_known_ = true;
  return p;
}

DatedLineParser DatedLineParser::Resume(int utc_offset_seconds, int year, int last_month,
                                        TimeUs last_time) {
  DatedLineParser p = WithYear(utc_offset_seconds, year);
  if (last_month >= 1 && last_month <= 12) p.rollover_.ThisYears(last_month);
  p.last_time_ = last_time;
  return p;
}

Event DatedLineParser::Parse(std::string_view line) {
  Event ev = ParseLine(line, ctx_);
  // Feb 29 of the year a December line rolls to (a quiet log from December to
  // the leap day): parsed below, once the year has rolled (helper-94).
  if (ev.kind == EventKind::kUnparsable && year_known_ && line.substr(0, 7) == "Feb 29 " &&
      rollover_.WouldRoll(2, ctx_)) {
    ParseContext next = ctx_;
    ++next.year;
    if (ParseLine(line, next).month == 2) ev.month = 2;
  }
  if (ev.month == 0) return ev;
  if (!year_known_) {
    year_known_ = true;
    if (ev.month > ref_month_) {
      --ctx_.year;
      ev = ParseLine(line, ctx_);
    }
  }
  // Parsing again is rare: once per file, and around New Year.
  switch (rollover_.Observe(ev.month, &ctx_)) {
    case YearRollover::Seen::kThisYear:
      break;
    case YearRollover::Seen::kRolled:
      ev = ParseLine(line, ctx_);
      break;
    case YearRollover::Seen::kLastYear: {
      ParseContext last_year = ctx_;
      --last_year.year;
      Event straggler = ParseLine(line, last_year);
      if (last_time_ - straggler.time <= kStepBackOverNewYear) {
        ev = std::move(straggler);
        return ev;  // the last line's time stays the latest
      }
      rollover_.ThisYears(ev.month);  // months after January: a quiet log
      break;
    }
  }
  last_time_ = ev.time;
  return ev;
}

const char* EventKindName(EventKind k) {
  static constexpr const char* kNames[kEventKindCount] = {
      "unparsable",  "foreign",         "unknown", "noise",        "connect",
      "disconnect",  "lost_connection", "client",  "smtpd_action", "message_id",
      "header",      "pickup",          "queued",  "removed",      "expired",
      "delivery",    "notice",          "admin",   "scan",         "proxy_accept",
      "amavis_part",
  };
  return kNames[static_cast<int>(k)];
}

Event ParseJoinedAmavis(const Event& last_part, std::string_view whole) {
  Event ev;
  ev.time = last_part.time;
  ev.month = last_part.month;
  ev.pid = last_part.pid;
  ev.host = last_part.host;
  ev.program = last_part.program;
  ev.daemon = last_part.daemon;
  ev.message = whole;
  ev.split = SplitPart::kLast;  // made of parts (AmavisTasks)
  if (!parsers::ParseAmavis(whole, &ev) || ev.kind == EventKind::kAmavisPart)
    ev.kind = EventKind::kUnknown;
  return ev;
}

bool ReparseHeaderFor(std::string_view client_ip, Event* ev) {
  // A cut line has no trailer to find again: read again, it gave back what
  // the first reading dropped (helper-119 N1).
  return !ev->cut && parsers::ReparseHeaderFor(client_ip, ev);
}

}  // namespace mailtrail
