// MessageTracker, the links between the legs of a message: the notices it
// caused (NDRs, delay notices), its content-filter and .forward legs, and the
// amavis results that belong to it (see tracker.cc for the per-message side).
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "agent/track/relay.h"
#include "agent/track/tracker.h"
#include "agent/track/tracker_internal.h"
#include "base/cidr.h"
#include "base/ip_address.h"
#include "parsers/line_parser.h"
#include "parsers/scan.h"

namespace mailtrail {

using track_internal::Address;
using track_internal::AddUnique;
using track_internal::Capped;

namespace {
// The seconds a delivery attempt took to connect and transmit: c + d of
// "delays=a/b/c/d"; -1 when not logged.
double AttemptSeconds(std::string_view delays) {
  double part[4];
  for (double& p : part) {
    const size_t slash = delays.find('/');
    if (!scan::ParseDouble(delays.substr(0, slash), &p)) return -1;
    delays.remove_prefix(slash == std::string_view::npos ? delays.size() : slash + 1);
  }
  return part[2] + part[3];
}
// RFC 1918, shared address space (RFC 6598) and unique local IPv6: most
// often a host of the site's own (not always: a CGNAT or cloud neighbour).
bool InPrivateNetwork(const IpAddress& ip) {
  static const std::vector<Cidr> kPrivate = [] {
    std::vector<Cidr> v;
    for (const char* c :
         {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"})
      v.push_back(*Cidr::Parse(c));
    return v;
  }();
  for (const Cidr& n : kPrivate)
    if (n.Contains(ip)) return true;
  return false;
}
}  // namespace

// The leg `child` came back from this delivery: local(8)'s "forwarded as" is a
// message this host made itself (no SMTP client); "queued as" from a relay is
// a message received from that relay's address (or from the loopback, for a
// filter on a loopback or UNIX socket).
bool MessageTracker::IsReturningLeg(const Event& ev, const MessageRecord& parent,
                                    const MessageRecord& child) {
  // A leg is made from its parent: never before it, never its own NDR's parent.
  if (child.first_seen < parent.first_seen || parent.ndr_of == child.qid) return false;
  if (ev.daemon == "local") return !child.has_client;
  if (!child.has_client) return false;
  // A filter re-injects during the delivery: not before this attempt began
  // (delays=a/b/c/d: c+d, the connection and the transmission; a second
  // more, syslog stamps are whole seconds). A host that is both an MX of
  // ours and a client cannot answer with the id of a message it sent us
  // before. (Not the envelope sender: with FILTER_README's
  // receive_override_options = no_address_mappings, canonical maps and
  // masquerading rewrite it on the filter's leg.)
  if (const double attempt = AttemptSeconds(ev.delays);
      attempt >= 0 &&
      child.first_seen < ev.time - static_cast<TimeUs>((attempt + 1) * kUsPerSecond))
    return false;
  const auto from = IpAddress::Parse(child.client_ip);
  if (!from) return false;
  const Relay relay = ParseRelay(ev.relay);
  if (relay.kind == Relay::Kind::kAddress) {
    // Only a content filter gives back a leg. An MX is another site's: its
    // "queued as" names its own queue, and it may send us a message while
    // it holds its answer to our DATA and answer with that message's id
    // (helper-118 F5). A filter's own port says so; on port 25 (587, 465,
    // 2525) a host in a private network that gives back the message it
    // took, its Message-ID unchanged: a filter host of ours there lost its
    // legs (locally made mail carries no XFORWARD IDENT), and our own NDRs
    // it gave back got it blocked (helper-120 F2); a private address alone
    // let an MX on one (CGNAT, a cloud neighbour) hide its notices as our
    // legs (helper-122).
    if (!relay.IsContentFilter()) {
      if (!InPrivateNetwork(*relay.ip) || !parent.message_id ||
          child.message_id != parent.message_id)
        return false;
    }
    return *relay.ip == *from || (relay.ip->IsLoopback() && from->IsLoopback());
  }
  return from->IsLoopback();
}

void MessageTracker::OnNotice(const Event& ev, Open* o) {
  // ndr_qid is the last non-delivery notification to the sender: for a message
  // that expired, the one sent at expiry. Earlier ones (recipients that bounced
  // before) join the delay and success notices in notice_qids, and so does the
  // postmaster's copy (notify_classes = bounce), which is the NDR only when no
  // sender's was made (a bounce that bounced). docs/reporting.md.
  std::string earlier;
  if (ev.notice == NoticeKind::kNonDelivery ||
      (ev.notice == NoticeKind::kPostmaster && o->rec.ndr_qid.empty())) {
    earlier = std::exchange(o->rec.ndr_qid, std::string(ev.next_qid));
  } else {
    earlier = std::string(ev.next_qid);
  }
  if (!earlier.empty() && earlier != o->rec.ndr_qid && o->rec.notice_qids.size() < 64)
    AddUnique(&o->rec.notice_qids, earlier);
  // Not a line that begins the notice's record: bounce(8) may log it after the
  // notice itself was delivered and removed (corpus 08).
  Event child = ev;
  child.qid = ev.next_qid;
  if (options_.resume) FindOrResume(child, ResumeRule::kEarly);
  Open* c = FindOrCreate(child);
  if (c->rec.ndr_of.empty()) {
    c->rec.ndr_of = std::string(ev.qid);
    Changed(c);
  }
}

namespace {
ScanResult ScanOf(const Event& ev) {
  ScanResult scan;
  scan.scanner = "amavis";
  const size_t sp = ev.verdict.find(' ');
  scan.action = std::string(ev.verdict.substr(0, sp));
  if (sp != std::string_view::npos) scan.verdict = Capped(ev.verdict.substr(sp + 1));
  scan.score = ev.hits;
  scan.has_score = ev.has_hits;
  return scan;
}
// amavis's reply names its task: "... id=19882-02 - SPAM" (not "id=19882-021").
bool RepliesTo(std::string_view text, std::string_view task_reply) {
  const size_t p = text.find(task_reply);
  if (p == std::string_view::npos) return false;
  const size_t end = p + task_reply.size();
  return end == text.size() || text[end] < '0' || text[end] > '9';
}
constexpr size_t kMaxScansPerRecord = 16;
constexpr size_t kMaxOrphanScans = 1024;
constexpr TimeUs kOrphanScanLife = 600 * kUsPerSecond;
}  // namespace

bool MessageTracker::AdmitAmavisRecord(const Event& ev) {
  // Any other record of an amavis process ends a line it held (AmavisParts).
  if (amavis_parts_.held() != 0 && ev.kind != EventKind::kAmavisPart) amavis_parts_.Interrupt(ev);
  return amavis_tasks_.Admit(ev);  // refused: a main line's second record
}

void MessageTracker::OnAmavisPart(const Event& ev) {
  std::string whole;  // the line amavis split, joined again: read as one
  if (!amavis_parts_.Take(ev, &whole)) return;
  const Event joined = ParseJoinedAmavis(ev, whole);
  amavis_joined_unknown_ += joined.kind == EventKind::kUnknown;
  Process(joined);
}

void MessageTracker::OnScan(const Event& ev, Open* o) {
  MessageRecord& r = o->rec;
  if (r.scans.size() < kMaxScansPerRecord) r.scans.push_back(ScanOf(ev));
  if (!r.message_id && !ev.message_id.empty()) r.message_id = Capped(ev.message_id);
  if (ev.next_qid.empty()) return;
  // amavis's line goes on with fields a template may add from the message
  // (Subject, From, User-Agent), which can imitate "queued_as: ": a message
  // open here is this one's leg only if it came after it.
  auto link = [&](std::string_view leg) {
    if (auto child = records_.find(KeyOf(ev, leg));
        child != records_.end() && child->second.rec.first_seen < r.first_seen)
      return;
    Link(ev, ev.qid, leg, /*by_ident=*/true);
  };
  link(ev.next_qid);
  // Passed on in more transactions: each is a leg (helper-127 F7).
  for (std::string_view more = ev.more_next_qids; !more.empty();) {
    const size_t slash = std::min(more.find('/'), more.size());
    link(more.substr(0, slash));
    more.remove_prefix(std::min(slash + 1, more.size()));
  }
}

// amavis names no Queue-ID for mail Postfix did not receive by SMTP: the scan
// belongs to the message whose delivery to amavis is logged next (amavis logs
// before it answers), found by the queue id amavis re-injected it as or, for
// mail it did not pass on, by its Message-ID and amavis's task id, which its
// reply repeats ("554 5.7.0 Reject, id=19882-02 - SPAM": a Message-ID alone is
// not unique, docs/postfix-logs.md trap 4). When that delivery was logged
// first, the re-injected leg already names its parent. Waiting scans are few
// and short-lived; they are not part of the saved state (a restart in the
// second between the two lines loses that scan).
MessageTracker::Open* MessageTracker::OnScanWithoutQueueId(const Event& ev) {
  if (!ev.next_qid.empty()) {
    // Not a parent IDENT named: the reply's "queued as" may move the leg yet.
    auto child = records_.find(KeyOf(ev, ev.next_qid));
    if (child != records_.end() && !child->second.rec.parent_qid.empty() &&
        !child->second.parent_by_ident) {
      Open* parent = Find(KeyOf(ev, child->second.rec.parent_qid));
      if (parent != nullptr && parent->rec.scans.size() < kMaxScansPerRecord) {
        parent->rec.scans.push_back(ScanOf(ev));
        return parent;
      }
    }
  }
  if (ev.next_qid.empty() && ev.message_id.empty()) return nullptr;
  while (!orphan_scans_.empty() && (orphan_scans_.size() >= kMaxOrphanScans ||
                                    orphan_scans_.front().time + kOrphanScanLife < ev.time))
    orphan_scans_.pop_front();
  orphan_scans_.push_back({host_id_, std::string(ev.next_qid), Capped(ev.message_id),
                           "id=" + std::string(ev.task), ScanOf(ev), ev.time});
  return nullptr;
}

void MessageTracker::AdoptScans(const Event& ev, Open* o) {
  MessageRecord& r = o->rec;
  for (auto it = orphan_scans_.begin(); it != orphan_scans_.end();) {
    const bool mine = it->host == host_id_ &&
                      ((!ev.next_qid.empty() && it->queued_as == ev.next_qid) ||
                       (it->queued_as.empty() && r.message_id && *r.message_id == it->message_id &&
                        RepliesTo(ev.text, it->task_reply)));
    if (mine && r.scans.size() < kMaxScansPerRecord) {
      r.scans.push_back(std::move(it->scan));
      it = orphan_scans_.erase(it);
    } else {
      ++it;
    }
  }
}

void MessageTracker::Link(const Event& ev, std::string_view parent, std::string_view child,
                          bool by_ident) {
  if (Open* p = Find(KeyOf(ev, parent)); p != nullptr && p->rec.child_qids.size() < 64) {
    AddUnique(&p->rec.child_qids, child);
    Changed(p);
  }
  if (Open* c = Find(KeyOf(ev, child)); c != nullptr && c->rec.parent_qid.empty()) {
    c->rec.parent_qid = std::string(parent);
    c->parent_by_ident = by_ident;
    Changed(c);
  }
}

}  // namespace mailtrail
