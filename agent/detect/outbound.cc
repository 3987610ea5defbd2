#include "agent/detect/outbound.h"

#include <idn2.h>
#include <libpsl.h>

#include <algorithm>
#include <iterator>
#include <utility>
#include <vector>

#include "agent/detect/subject.h"
#include "agent/track/relay.h"
#include "base/ip_address.h"
#include "base/text.h"

namespace mailtrail {

namespace {
constexpr size_t kMaxKeyBytes = 600;
constexpr size_t kMaxReturnedIds = 4;

// The relay's host name, when it is another MTA (Relay::IsAnotherMta).
std::string_view RemoteRelayHost(std::string_view relay) {
  const Relay r = ParseRelay(relay);
  return r.IsAnotherMta() ? r.host : std::string_view();
}

std::string_view DomainOf(std::string_view address) {
  const size_t at = address.rfind('@');
  return at == std::string_view::npos ? std::string_view() : address.substr(at + 1);
}

// An address without the extension of its local part: "list-bounces+u=d@x"
// -> "list-bounces@x". Postfix's VERP (sendmail -V, XVERP) and a
// recipient_delimiter of "+" give each recipient's notices an address of its
// own; they answer the mail its base address sent (helper-93).
std::string BaseAddress(std::string_view address) {
  const size_t at = address.rfind('@');
  const size_t plus = address.find('+');
  if (at == std::string_view::npos || plus == std::string_view::npos || plus > at)
    return std::string(address);
  return std::string(address.substr(0, plus)).append(address.substr(at));
}

// The address of a From: header as header_checks logged it ("News"
// <news@x> or news@x).
std::string_view HeaderAddress(std::string_view from) {
  const size_t open = from.rfind('<');
  if (open != std::string_view::npos) {
    const size_t close = from.find('>', open);
    if (close != std::string_view::npos) return from.substr(open + 1, close - open - 1);
  }
  while (!from.empty() && (from.front() == ' ' || from.front() == '\t')) from.remove_prefix(1);
  while (!from.empty() && (from.back() == ' ' || from.back() == '\t')) from.remove_suffix(1);
  return from.find(' ') == std::string_view::npos ? from : std::string_view();
}

// Whether `r` was submitted on this server: by pickup (no client), by a
// client that logged in (SASL), or from loopback (a web application), and is
// no leg of another message.
bool SubmittedHere(const MessageRecord& r) {
  // A leg of another message (a .forward or alias copy, a content filter's
  // re-injection) has no client of its own: its first leg's is unknown here
  // (helper-98: an alias's copy of inbound mail passed as submitted here).
  if (!r.parent_qid.empty()) return false;
  if (!r.has_client || !r.sasl_username.empty()) return true;
  const auto ip = IpAddress::Parse(r.client_ip);
  return ip && ip->IsLoopback();
}

// An auto-reply or receipt wraps our subject in words of the recipient's
// language ("Automatisk svar:", "Resposta automática:", "自动回复:", "Return
// Receipt (displayed) -"): beyond the prefixes NormalizeSubject removes, an
// answer's subject may begin with up to this many other words before ours,
// which must keep at least kMinAnsweredSubject bytes (helper-93). Those
// wrappers are one to three words in every language tried; each word more
// lets a phisher who copies a subject of ours wrap it more freely
// (helper-97: "URGENT Action required today: <ours>").
constexpr int kMaxWrapperWords = 3;
constexpr size_t kMinAnsweredSubject = 12;
// NormalizeSubject's cap for the subjects learned; an answer's is read longer,
// its wrapper's words besides.
constexpr size_t kSubjectCap = 160;

std::string Key(char kind, std::string_view a, std::string_view b = {}) {
  std::string k;
  k += kind;
  k += '\t';
  k += AsciiLower(a.substr(0, 320));
  if (!b.empty()) {
    k += '\t';
    k += b;
  }
  if (k.size() > kMaxKeyBytes) k.resize(kMaxKeyBytes);
  return k;
}

// The addresses a bounce was sent to: our senders.
std::vector<std::string_view> Recipients(const MessageRecord& r) {
  std::vector<std::string_view> out;
  for (const auto& rc : r.recipients) {
    if (out.size() >= 8) break;
    if (!rc.address.empty()) out.push_back(rc.address);
    if (!rc.orig_address.empty()) out.push_back(rc.orig_address);
  }
  return out;
}
}  // namespace

const char* AnswerKindName(AnswerKind k) {
  switch (k) {
    case AnswerKind::kMessageId:
      return "message-id";
    case AnswerKind::kDomain:
      return "domain";
    case AnswerKind::kSubject:
      return "subject";
    case AnswerKind::kNone:
      break;
  }
  return "none";
}

namespace {

// The Public Suffix List (Debian's publicsuffix data through libpsl: the
// newer of its built-in copy and /usr/share/publicsuffix), loaded once and
// read-only after; null without data.
const psl_ctx_t* PublicSuffixes() {
  static const psl_ctx_t* const kList = [] {
    const psl_ctx_t* latest = psl_latest(nullptr);
    return latest ? latest : psl_builtin();
  }();
  return kList;
}

bool IsPlainHostName(std::string_view h) {
  return std::all_of(h.begin(), h.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
  });
}

// An internationalized name in the ASCII form DNS and Postfix's host names
// have ("müller.de" -> "xn--mller-kva.de"), so that an SMTPUTF8 address's
// domain and its servers' names are one organisation (helper-90). Label by
// label: IDNA2008 (libidn2) refuses symbols and emoji that Postfix's UTS #46
// (ICU) takes, and such a label stays as it is, the others converted
// ("x.\u2603.müller.de" still ends in "xn--mller-kva.de"; helper-91). A
// label with a NUL byte stays too (libidn2 would read up to it).
std::string AsciiName(const std::string& h) {
  if (IsPlainHostName(h)) return h;
  std::string out;
  for (size_t start = 0; start <= h.size();) {
    size_t end = h.find('.', start);
    if (end == std::string::npos) end = h.size();
    const std::string label = h.substr(start, end - start);
    char* ascii = nullptr;
    const bool keep = IsPlainHostName(label) || label.find('\0') != std::string::npos;
    if (!keep &&
        idn2_to_ascii_8z(label.c_str(), &ascii, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL) == IDN2_OK &&
        ascii != nullptr && IsPlainHostName(ascii)) {
      out += ascii;
    } else {
      out += label;
    }
    idn2_free(ascii);
    if (end < h.size()) out += '.';
    start = end + 1;
  }
  return out;
}

}  // namespace

std::string OrgDomain(std::string_view host) {
  // A name longer than DNS allows (255 bytes, in its ASCII form) is none.
  constexpr size_t kMaxName = 255;
  std::string h = AsciiLower(host.substr(0, kMaxName + 2));
  while (!h.empty() && h.back() == '.') h.pop_back();
  if (h.empty() || h.size() > kMaxName || h == "unknown" || IpAddress::Parse(h)) return {};
  h = AsciiName(h);
  if (h.size() > kMaxName) return {};
  std::vector<size_t> dots;
  for (size_t i = 0; i < h.size(); ++i)
    if (h[i] == '.') dots.push_back(i);
  if (dots.empty()) return {};
  // The name registered under the longest public suffix of the list, its
  // private part too ("bmw.de", "example.co.uk", "city.kawasaki.jp",
  // "partner.com.de"): registries there sell names to anyone (com.de, co.nl,
  // msk.ru), and a zone of a provider's customers ("*.compute-1.amazonaws.com")
  // makes each customer's host its own (helper-90: with the ICANN part
  // alone, any *.com.de host answered mail relayed to another). The
  // suffixes are tried longest first, those of other bytes (a label no
  // conversion took) never: the registered label may be one.
  if (const psl_ctx_t* psl = PublicSuffixes()) {
    for (size_t i = 0; i < dots.size(); ++i) {
      const std::string_view suffix = std::string_view(h).substr(dots[i] + 1);  // no NUL if plain
      if (IsPlainHostName(suffix) && psl_is_public_suffix2(psl, suffix.data(), PSL_TYPE_ANY))
        return h.substr(i == 0 ? 0 : dots[i - 1] + 1);
    }
  }
  // Without the list, or a last label of other bytes: two labels, or three
  // under a two-letter country code whose second level is short ("co.uk",
  // "com.au", "ne.jp"); a wrong guess only widens or narrows one sender's
  // credits.
  size_t labels = 2;
  const size_t tld = h.size() - dots.back() - 1;
  const size_t second = dots.size() >= 2 ? dots.back() - dots[dots.size() - 2] - 1 : dots.back();
  if (tld == 2 && second <= 3 && dots.size() >= 2) labels = 3;
  if (dots.size() < labels) return h;
  return h.substr(dots[dots.size() - labels] + 1);
}

bool OutboundMemory::Relayed(const MessageRecord& r, const RecipientRecord& rc) {
  // Only a recipient another MTA accepted can be answered from there: a
  // deferral or a refusal is answered by our own notice, and an address
  // verification's probe ("deliverable") sent no message (else a client
  // could have us probe an organisation of its choice).
  return r.sender && !r.sender->empty() && rc.outcome == Outcome::kDelivered &&
         !RemoteRelayHost(rc.relay).empty();
}

bool OutboundMemory::Learn(const MessageRecord& r, const RecipientRecord& rc) {
  if (!o_.enabled || !Relayed(r, rc)) return false;
  const std::string_view relay_host = RemoteRelayHost(rc.relay);
  const TimeUs t = rc.time;
  Expire(t);
  const int k = kNoticesPerRecipient;
  auto learn = [&](std::string key) {
    if (o_.share) Share(key, k, t);
    Add(std::move(key), k, t);
  };
  if (r.message_id && !r.message_id->empty()) learn(Key('m', *r.message_id));
  const std::string by_domain = OrgDomain(DomainOf(rc.address));
  const std::string by_relay = OrgDomain(relay_host);
  const std::string base = BaseAddress(*r.sender);
  for (const std::string* org : {&by_domain, &by_relay}) {
    if (org->empty() || (org == &by_relay && by_relay == by_domain)) continue;
    learn(Key('d', base, *org));
  }
  std::string subject;
  if (r.subject) {
    subject = NormalizeSubject(*r.subject, kSubjectCap);
  } else if (r.message_id) {  // a content filter's leg, whose header_checks logged none
    auto f = filtered_.find(r.message_id->substr(0, 320));
    if (f != filtered_.end()) subject = f->second.subject;
  }
  if (!subject.empty()) {
    // To the envelope sender, and to the From: address where a reply goes
    // when the envelope had a bounce address of its own (helper-93).
    learn(Key('s', base, subject));
    // The From: header is the sender's to write: only mail submitted here
    // (pickup, SASL, loopback) speaks for its From:, not inbound mail an
    // alias forwards out (helper-97: one such message with a forged From:
    // of ours excused the backscatter of its campaign).
    if (r.header_from && SubmittedHere(r)) {
      const std::string from = BaseAddress(HeaderAddress(*r.header_from));
      if (from.find('@') != std::string::npos && AsciiLower(from) != AsciiLower(base))
        learn(Key('s', from, subject));
    }
  }
  return true;
}

bool OutboundMemory::ToContentFilter(const MessageRecord& r, const RecipientRecord& rc) {
  return r.sender && !r.sender->empty() && r.subject && r.message_id && !r.message_id->empty() &&
         rc.outcome == Outcome::kDelivered && ParseRelay(rc.relay).IsContentFilter();
}

void OutboundMemory::LearnFilterLeg(const MessageRecord& r, const RecipientRecord& rc) {
  if (!o_.enabled || !ToContentFilter(r, rc)) return;
  std::string subject = NormalizeSubject(*r.subject, kSubjectCap);
  if (subject.empty()) return;
  const std::string id = r.message_id->substr(0, 320);
  auto [it, fresh] = filtered_.try_emplace(id);
  it->second.subject = std::move(subject);
  it->second.learned = rc.time;
  if (fresh) filtered_order_.push_back(id);
  ExpireFiltered(rc.time);
}

void OutboundMemory::ExpireFiltered(TimeUs now) {
  while (!filtered_order_.empty()) {
    auto oldest = filtered_.find(filtered_order_.front());
    if (oldest != filtered_.end() && filtered_.size() <= o_.max_filtered &&
        oldest->second.learned + o_.window >= now)
      break;
    if (oldest != filtered_.end()) filtered_.erase(oldest);
    filtered_order_.pop_front();
  }
}

AnswerKind OutboundMemory::Recognize(const MessageRecord& r) {
  if (!o_.enabled) return AnswerKind::kNone;
  // Take() checks each key's window against this record's time; forgetting
  // waits for Learn(): one line stamped a day ahead (another host's clock)
  // forgot every answer learned (helper-152 F4).
  const TimeUs now = r.last_seen;
  size_t ids = 0;
  for (const std::string& id : r.returned_message_ids) {
    if (++ids > kMaxReturnedIds) break;
    if (r.message_id && id == *r.message_id) continue;  // its own, from header_checks
    if (Take(Key('m', id), now)) return AnswerKind::kMessageId;
  }
  const std::vector<std::string_view> ours = Recipients(r);
  const std::string org = OrgDomain(r.client_host);
  if (!org.empty())
    for (std::string_view a : ours)
      if (Take(Key('d', BaseAddress(a), org), now)) return AnswerKind::kDomain;
  if (r.subject) {
    // Ours, or ours after up to kMaxWrapperWords words of a wrapper.
    const std::string whole = NormalizeSubject(*r.subject, kSubjectCap + 80);
    std::string_view s = whole;
    for (int dropped = 0; dropped <= kMaxWrapperWords && !s.empty(); ++dropped) {
      if (dropped > 0 && s.size() < kMinAnsweredSubject) break;
      std::string_view subject = s;
      if (subject.size() > kSubjectCap) {  // cut where NormalizeSubject cuts
        size_t cut = kSubjectCap;
        while (cut > 0 && (static_cast<unsigned char>(subject[cut]) & 0xC0) == 0x80) --cut;
        subject = subject.substr(0, cut);
      }
      for (std::string_view a : ours)
        if (Take(Key('s', BaseAddress(a), subject), now)) return AnswerKind::kSubject;
      const size_t space = s.find(' ');
      if (space == std::string_view::npos) break;
      s.remove_prefix(space + 1);
    }
  }
  return AnswerKind::kNone;
}

void OutboundMemory::Share(const std::string& key, int credits, TimeUs t) {
  auto at = unshared_at_.find(key);
  if (at == unshared_at_.end()) {
    if (unshared_.size() >= o_.max_unshared) {
      ++not_shared_;
      return;
    }
    unshared_at_.emplace(key, unshared_.size());
    unshared_.push_back({"", 0, key, t, credits});
    return;
  }
  SharedAnswer& a = unshared_[at->second];
  a.credits = std::min(o_.max_credits, a.credits + credits);
  a.learned = std::max(a.learned, t);
}

std::vector<SharedAnswer> OutboundMemory::TakeShared(size_t max) {
  unshared_at_.clear();
  if (unshared_.size() <= max) return std::exchange(unshared_, {});
  std::vector<SharedAnswer> taken(std::make_move_iterator(unshared_.begin()),
                                  std::make_move_iterator(unshared_.begin() + max));
  unshared_.erase(unshared_.begin(), unshared_.begin() + max);
  for (size_t i = 0; i < unshared_.size(); ++i) unshared_at_.emplace(unshared_[i].key, i);
  return taken;
}

void OutboundMemory::KeepUnshared(const std::vector<SharedAnswer>& mine, TimeUs not_before) {
  if (!o_.share) return;
  for (const SharedAnswer& a : mine)
    if (a.learned >= not_before) Share(a.key, a.credits, a.learned);
}

size_t OutboundMemory::AddShared(const std::vector<SharedAnswer>& theirs, TimeUs now) {
  if (!o_.enabled) return 0;
  // No forgetting here: `now` is the fleet's exchange time (the newest line
  // read, one stamped a day ahead too), which fed at each exchange into
  // Expire's median wiped the memory of a quiet server (helper-155 F4).
  size_t taken = 0;
  for (const SharedAnswer& a : theirs) {
    const std::string& k = a.key;
    if (k.size() < 3 || k.size() > kMaxKeyBytes || k[1] != '\t' ||
        (k[0] != 'm' && k[0] != 'd' && k[0] != 's') || a.credits <= 0)
      continue;
    // Not later than now here: a key from the future would never expire.
    const TimeUs learned = std::min(a.learned, now);
    if (learned + o_.window < now) continue;
    Add(k, std::min(a.credits, o_.max_credits), learned);
    ++taken;
  }
  return taken;
}

void OutboundMemory::Add(std::string key, int credits, TimeUs t, bool set) {
  auto [it, fresh] = keys_.try_emplace(std::move(key));
  Entry& e = it->second;
  e.credits = set ? credits : std::min(o_.max_credits, e.credits + credits);
  e.learned = std::max(e.learned, t);  // a line out of order does not age it
  if (fresh) {
    e.at = order_.insert(order_.end(), &it->first);
  } else {
    order_.splice(order_.end(), order_, e.at);  // the same node: e.at stays valid
  }
  while (keys_.size() > o_.max_keys) {  // full: the least recently learned go first
    auto oldest = keys_.find(*order_.front());
    order_.pop_front();
    keys_.erase(oldest);
  }
}

bool OutboundMemory::Take(const std::string& key, TimeUs now) {
  auto it = keys_.find(key);
  if (it == keys_.end() || it->second.credits <= 0) return false;
  if (it->second.learned + o_.window < now) return false;
  --it->second.credits;
  return true;
}

void OutboundMemory::Expire(TimeUs t) {
  // Forgetting goes by log time, which lines far ahead (a host's clock a
  // day wrong, in the same file) would move on: it goes by the median of
  // the last kExpiryTimes lines' times, which such lines move only when they
  // are most of them, and waits for kMinExpiryTimes after a start. Take()
  // still checks each key's window at each record's own time (helper-152
  // F4, helper-153 F4: a clock moved on an hour a line went a day in 25).
  expiry_times_[expiry_next_] = t;
  expiry_next_ = (expiry_next_ + 1) % kExpiryTimes;
  expiry_seen_ = std::min(expiry_seen_ + 1, kExpiryTimes);
  if (expiry_seen_ < kMinExpiryTimes) return;
  std::array<TimeUs, kExpiryTimes> times = expiry_times_;
  const auto mid = times.begin() + expiry_seen_ / 2;
  std::nth_element(times.begin(), mid, times.begin() + expiry_seen_);
  if (*mid <= expiry_now_) return;
  expiry_now_ = *mid;
  const TimeUs now = expiry_now_;
  // order_ is by learning, and log time only goes forward (nearly: a key a
  // line out of order learned a little early waits for the keys before it).
  while (!order_.empty()) {
    auto oldest = keys_.find(*order_.front());
    if (oldest->second.learned + o_.window >= now) break;
    order_.pop_front();
    keys_.erase(oldest);
  }
}

}  // namespace mailtrail
