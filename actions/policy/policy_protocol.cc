#include "actions/policy/policy_protocol.h"

#include <initializer_list>

namespace mailtrail {

void PolicyReader::Feed(std::string_view bytes, std::vector<PolicyRequest>* out) {
  for (char c : bytes) {
    if (c == '\n') {
      EndLine(out);
      continue;
    }
    if (line_.size() >= kMaxLine) {
      line_too_long_ = true;  // keep reading to the newline, keep nothing
      continue;
    }
    line_.push_back(c);
  }
}

void PolicyReader::EndLine(std::vector<PolicyRequest>* out) {
  const bool crlf = !line_.empty() && line_.back() == '\r';
  if (crlf) line_.pop_back();
  if (line_.empty() && !line_too_long_) {
    // The end of a request (an empty line with nothing before it is ignored;
    // one whose lines were all dropped is answered).
    if (has_lines_) {
      current_.crlf = crlf;
      out->push_back(std::move(current_));
    }
    current_ = PolicyRequest();
    request_bytes_ = 0;
    has_lines_ = false;
    return;
  }
  has_lines_ = true;
  request_bytes_ += line_.size();
  // An attribute over kMaxLine is dropped, not the request: its client
  // address still decides (a 5,000-byte HELO made a blocked client's request
  // DUNNO, helper-136 F4). A dropped sender is no null sender, a dropped
  // recipient no postmaster@: the block holds.
  if (!line_too_long_ && !current_.malformed) {
    const size_t eq = line_.find('=');
    if (eq == std::string::npos || eq == 0 || current_.attributes.size() >= kMaxAttributes ||
        request_bytes_ > kMaxRequest) {
      current_.malformed = true;
      current_.attributes.clear();
    } else {
      current_.attributes[line_.substr(0, eq)] = line_.substr(eq + 1);
    }
  }
  line_.clear();
  line_too_long_ = false;
}

bool PolicyTable::Blocks(std::string_view client_address) const {
  auto ip = IpAddress::Parse(client_address);
  if (!ip) return false;
  if (ips.count(ip->ToString())) return true;
  for (const Cidr& n : networks)
    if (n.Contains(*ip)) return true;
  return false;
}

namespace {

// postmaster@ or abuse@ of any domain (or "postmaster" alone), in any case:
// a server blocked by mistake reports it there (RFC 5321 4.5.1: postmaster is
// to be reachable; helper-134 F5).
bool IsReportAddress(std::string_view recipient) {
  const std::string_view local = recipient.substr(0, recipient.rfind('@'));
  auto is = [&](std::string_view word) {
    if (local.size() != word.size()) return false;
    for (size_t i = 0; i < word.size(); ++i)
      if ((local[i] | 0x20) != word[i]) return false;
    return true;
  };
  return is("postmaster") || is("abuse");
}

// MAIL FROM:<>, when the request knows the sender: Postfix sends "sender="
// empty before MAIL too (smtpd_delay_reject = no asks at CONNECT and EHLO).
bool IsBounce(const PolicyRequest& request) {
  auto sender = request.attributes.find("sender");
  auto state = request.attributes.find("protocol_state");
  if (sender == request.attributes.end() || !sender->second.empty() ||
      state == request.attributes.end())
    return false;
  for (std::string_view known : {"MAIL", "RCPT", "DATA", "END-OF-MESSAGE"})
    if (state->second == known) return true;
  return false;
}

// Printable ASCII, 1 to 200 bytes: configuration text sent to smtpd as is.
bool Printable(std::string_view s) {
  if (s.empty() || s.size() > 200) return false;
  for (char c : s)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

// One of `words`, alone or followed by a space and text.
bool IsAction(std::string_view s, std::initializer_list<std::string_view> words) {
  for (std::string_view word : words)
    if (s.substr(0, word.size()) == word && (s.size() == word.size() || s[word.size()] == ' '))
      return true;
  return false;
}

}  // namespace

std::string PolicyAnswer(const PolicyRequest& request, const PolicyTable& table,
                         const PolicyReplies& replies) {
  if (request.malformed) return "action=DUNNO";
  auto kind = request.attributes.find("request");
  if (kind == request.attributes.end() || kind->second != "smtpd_access_policy")
    return "action=DUNNO";
  auto client = request.attributes.find("client_address");
  if (client == request.attributes.end() || !table.Blocks(client->second)) return "action=DUNNO";
  if (auto rcpt = request.attributes.find("recipient");
      rcpt != request.attributes.end() && IsReportAddress(rcpt->second))
    return "action=DUNNO";
  return "action=" + (IsBounce(request) ? replies.bounce : replies.blocked);
}

bool ValidPolicyReply(std::string_view reply) {
  if (!Printable(reply)) return false;
  if (IsAction(reply, {"DEFER_IF_PERMIT", "REJECT", "DEFER"})) return true;
  // "450 4.7.1 text" or "550 5.7.1 text": a 4xx/5xx code, then a space; an
  // enhanced status code after it is of the same class ("550 4.7.1" is not).
  const bool code = reply.size() >= 4 && (reply[0] == '4' || reply[0] == '5') && reply[1] >= '0' &&
                    reply[1] <= '9' && reply[2] >= '0' && reply[2] <= '9' && reply[3] == ' ';
  if (!code) return false;
  const bool enhanced = reply.size() >= 6 && reply[4] >= '2' && reply[4] <= '5' && reply[5] == '.';
  return !enhanced || reply[4] == reply[0];
}

bool ValidBounceAction(std::string_view action) {
  return (Printable(action) && IsAction(action, {"HOLD", "DISCARD"})) || ValidPolicyReply(action);
}

}  // namespace mailtrail
