#include "actions/postfix/postfix_tables.h"

#include "actions/postfix/header_match.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <set>
#include <string_view>

#include "base/cidr.h"
#include "base/run_program.h"

namespace mailtrail {

namespace {
// Writes `content` to `path` through a temporary file in its directory + rename.
Status WriteWhole(const std::string& path, const std::string& content, std::string* tmp_out) {
  std::string tmp = path + ".tmpXXXXXX";
  const int fd = mkstemp(tmp.data());
  if (fd < 0) return Status::IoError(path + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = write(fd, content.data() + done, content.size() - done);
    if (n <= 0) {
      close(fd);
      unlink(tmp.c_str());
      return Status::IoError(tmp + ": " + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  fchmod(fd, 0644);
  const bool synced = fsync(fd) == 0;
  close(fd);
  if (!synced) {
    unlink(tmp.c_str());
    return Status::IoError(tmp + ": fsync failed");
  }
  if (tmp_out) {  // the caller renames (after building from it)
    *tmp_out = tmp;
    return Status::Ok();
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    unlink(tmp.c_str());
    return Status::IoError(path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}
}  // namespace

std::string AccessMapAction::Render(const DesiredBlocks& desired, int* skipped) const {
  std::string out = "# mailtrail: blocked clients. Written by the agent; edits are lost.\n";
  *skipped = 0;
  // Each key once: an address and a network holding it (a /25 written as
  // its addresses) gave postmap a duplicate key to warn of (helper-150 #7).
  std::set<std::string> keys;
  auto put = [&](const std::string& key) {
    if (keys.insert(key).second) out += key + " " + o_.reply + "\n";
  };
  for (const auto& ip : desired.ips) {
    if (auto a = IpAddress::Parse(ip)) put(a->ToString());
  }
  for (const auto& c : desired.cidrs) {
    // access(5) matches IPv4 prefixes at octet boundaries ("1.2.3" for a
    // /24): a network between two is written as the prefixes of the next
    // boundary it covers (a /25 as its 128 addresses, a /20 as 16 /24s: at
    // most 128 lines; until 2026-12-08 it was left out, helper-149 F6).
    // IPv6 prefixes are matched by the compressed address's groups, which
    // zeros shorten: not reliably, so left to the policy service or a
    // firewall (check-config says so when neither runs).
    const auto net = Cidr::Parse(c);
    if (!net || !net->base().is_v4() || net->bits() < 1) {
      ++*skipped;
      continue;
    }
    const int boundary = (net->bits() + 7) / 8 * 8;
    const std::string bytes = net->base().Bytes();
    uint32_t base = 0;
    for (unsigned char b : bytes) base = base << 8 | b;
    for (uint32_t k = 0; k < (1u << (boundary - net->bits())); ++k) {
      const uint32_t a = base + (boundary == 32 ? k : k << (32 - boundary));
      std::string prefix;
      for (int octet = 0; octet < boundary / 8; ++octet)
        prefix += (octet ? "." : "") + std::to_string(a >> (24 - 8 * octet) & 0xff);
      put(prefix);
    }
  }
  return out;
}

namespace {
std::optional<std::string> ReadSmall(const std::string& path);
bool TouchedSince(const std::string& stamp, const std::string& path);
}  // namespace

Status AccessMapAction::Apply(const DesiredBlocks& desired, TimeUs now) {
  int skipped = 0;
  const std::string content = Render(desired, &skipped);
  const std::string ext = o_.type == "hash" ? ".db" : ".lmdb";
  // Level-triggered: the source as we would write it and a database built
  // since it changed need nothing. A table edited or removed by someone else
  // (or the database gone) is rebuilt (issue 19 item 5).
  if (ReadSmall(o_.path) == content && TouchedSince(o_.path + ext, o_.path)) return Status::Ok();
  if (last_build_ >= 0 && now - last_build_ < kUsPerSecond)
    return Status::Unavailable("one rebuild per second");
  last_build_ = now;
  std::string tmp;
  if (Status st = WriteWhole(o_.path, content, &tmp); !st.ok()) return st;
  // postmap builds tmp.lmdb beside it; both are renamed into place, the
  // database first (what smtpd reads).
  auto built =
      RunProgram({o_.postmap, "-c", o_.config_dir, o_.type + ":" + tmp}, o_.tool_timeout_ms);
  if (!built.ok() || rename((tmp + ext).c_str(), (o_.path + ext).c_str()) != 0) {
    unlink(tmp.c_str());
    unlink((tmp + ext).c_str());
    return built.ok() ? Status::IoError(o_.path + ext + ": " + std::strerror(errno))
                      : built.status();
  }
  if (rename(tmp.c_str(), o_.path.c_str()) != 0) unlink(tmp.c_str());
  return Status::Ok();
}

std::string PcreEscape(const std::string& text) {
  static const std::string kMeta = "\\^$.|?*+()[]{}/-#";
  std::string out;
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else if (kMeta.find(static_cast<char>(c)) != std::string::npos) {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

// header_checks(5) knows no numeric replies ("450 ..." would be ignored with
// a warning by cleanup): REJECT is the only refusal, and smtpd answers it with
// 550, so the policy reply's code cannot be reused here.
const char* const kHeaderChecksAction =
    "REJECT 5.7.1 Message refused: blocked subject (backscatter)";

namespace {
bool IsSpace(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }

// The length of the RFC 2047 encoded word at the start of `s`
// ("=?charset?B?base64?=", "=?charset?Q?text?="), 0 if none: its digits are
// base64 or hex escapes ("=D0=92"), not numbers, and stay as written (a Q
// word's "=80" made [0-9]+, and one letter stood for another, helper-153 F6).
size_t EncodedWordLength(std::string_view s) {
  if (s.substr(0, 2) != "=?") return 0;
  size_t i = 2;
  while (i < s.size() && s[i] != '?' && !IsSpace(s[i])) ++i;
  const std::string_view how = s.substr(i, 3);
  if (i == 2 || (how != "?B?" && how != "?b?" && how != "?Q?" && how != "?q?")) return 0;
  i += 3;
  while (i < s.size() && s[i] != '?' && !IsSpace(s[i])) ++i;
  return s.substr(i, 2) == "?=" ? i + 2 : 0;
}

// A byte of a word, as NormalizeSubject (agent/detect/subject.cc) splits a
// subject into the tokens of its key: letters, digits, 8-bit bytes, @#.-_.
bool IsWordByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c >= 0x80 || c == '@' ||
         c == '#' || c == '.' || c == '-' || c == '_';
}

// How the digits of the word around s[at] may vary while the subject's key
// stays the same: a word the key counts as a number ("#": all digits, three
// digits or more, a hex id of 8 or more) or an address ("@") may hold any
// digits (kAny) or at least as many as here (kAtLeast, for a word with
// letters: fewer could make it a word of the key); any other word keeps its
// digits (kAsWritten: "KW49" is a word of the key, and "KW4949" is "#", so a
// block of the second refused an allowlisted first, helper-152 F5).
enum class DigitRun { kAny, kAtLeast, kAsWritten };
// `q_text`: `s` is the text of a Q-encoded word, where '_' is a space.
DigitRun DigitsOfWord(std::string_view s, size_t at, bool q_text = false) {
  auto in_word = [q_text](char c) { return IsWordByte(c) && !(q_text && c == '_'); };
  size_t from = at, to = at;
  while (from > 0 && in_word(s[from - 1])) --from;
  while (to < s.size() && in_word(s[to])) ++to;
  std::string_view w = s.substr(from, to - from);
  while (!w.empty() && (w.front() == '.' || w.front() == '-' || w.front() == '_'))
    w.remove_prefix(1);
  while (!w.empty() && (w.back() == '.' || w.back() == '-' || w.back() == '_')) w.remove_suffix(1);
  if (w.find('@') != std::string_view::npos) return DigitRun::kAny;
  size_t digits = 0;
  bool hex = true;
  for (unsigned char c : w) {
    digits += IsDigit(c);
    hex &= IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }
  if (digits == w.size()) return DigitRun::kAny;
  if (digits >= 3 || (hex && digits > 0 && w.size() >= 8)) return DigitRun::kAtLeast;
  return DigitRun::kAsWritten;
}
bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// The pattern of an encoded word (EncodedWordLength's): as written, but for
// the numbers of a Q word's text, which vary as the subject's key lets them
// (the "=XX" escapes stay: they are letters, helper-153 F6; its numbers as
// written let a flood with a new number in each notice through, helper-155).
std::string EncodedWordPattern(std::string_view word, bool exact) {
  const size_t third = word.find('?', word.find('?', 2) + 1);  // "=?charset?Q?"
  const bool q = word[third - 1] == 'Q' || word[third - 1] == 'q';
  if (!q) return PcreEscape(std::string(word));
  std::string out = PcreEscape(std::string(word.substr(0, third + 1)));
  const std::string_view text = word.substr(third + 1, word.size() - third - 3);
  for (size_t j = 0; j < text.size();) {
    if (text[j] == '=' && j + 2 < text.size() && IsHex(text[j + 1]) && IsHex(text[j + 2])) {
      out += PcreEscape(std::string(text.substr(j, 3)));
      j += 3;
    } else if (IsDigit(text[j])) {
      const size_t from = j;
      while (j < text.size() && IsDigit(text[j])) ++j;
      const DigitRun digits = DigitsOfWord(text, from, /*q_text=*/true);
      if (digits == DigitRun::kAsWritten)
        out += std::string(text.substr(from, j - from));
      else if (digits == DigitRun::kAtLeast || (!exact && j - from > 1))
        out += "[0-9]{" + std::to_string(j - from) + ",}";
      else
        out += "[0-9]+";
    } else {
      out += PcreEscape(std::string(1, text[j]));
      ++j;
    }
  }
  return out + PcreEscape("?=");
}
}  // namespace

HeaderCheck HeaderChecksLine(const std::string& raw_subject) {
  HeaderCheck out;
  out.exact = raw_subject.size() < kLoggedSubjectMax;
  std::string_view s = raw_subject;
  s = s.substr(0, 990);  // a table line stays well under Postfix's line limits
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  size_t padding = 0;  // whitespace the log ends with
  while (!s.empty() && IsSpace(s.back())) {
    s.remove_suffix(1);
    ++padding;
  }
  if (s.empty()) return HeaderCheck{"", out.exact};
  std::string body;
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (const size_t n = EncodedWordLength(s.substr(i)); n > 0) {
      body += EncodedWordPattern(s.substr(i, n), out.exact);
      i += n;
      continue;
    }
    // Logged through printable(): a fold's line break, a tab and (without
    // SMTPUTF8) each 8-bit byte became '?': a run of k is k bytes of the
    // header, and Postfix's pcre tables match bytes (postmap -q on 3.7, with
    // smtputf8_enable yes or no). {1,k} let one character stand for the run,
    // and a cut subject's prefix refused other subjects (helper-149 F5,
    // helper-150 #1).
    if (c == '?') {
      size_t k = 0;
      while (i < s.size() && s[i] == '?') ++i, ++k;
      body += "(?:\\?|[^[:print:]]){" + std::to_string(k) + "}";
      continue;
    }
    if (IsSpace(c) || IsDigit(c)) {
      const bool space = IsSpace(c);
      const size_t from = i;
      while (i < s.size() && (space ? IsSpace(s[i]) : IsDigit(s[i]))) ++i;
      const std::string n = std::to_string(i - from);
      const DigitRun digits = space ? DigitRun::kAny : DigitsOfWord(s, from);
      if (digits == DigitRun::kAsWritten) {
        body += std::string(s.substr(from, i - from));
        continue;
      }
      // In a cut subject (a prefix), a run of spaces or digits is at least as
      // wide in the header: "any spaces" made "Your invoice is", 180 spaces
      // and "x" a prefix of every "Your invoice is x..." (helper-110 F6), and
      // "any digits" made "Your invoice " and 178 digits one of "Your invoice
      // 4711 from ACME" (helper-152 F2).
      if ((!out.exact && i - from > 1) || digits == DigitRun::kAtLeast) {
        body += (space ? "[[:space:]]{" : "[0-9]{") + n + ",}";
        continue;
      }
      body += space ? "[[:space:]]+" : "[0-9]+";
      continue;
    }
    body += PcreEscape(std::string(1, static_cast<char>(c)));
    ++i;
  }
  // (?i:subject): header names are case-blind (RFC 5322); the flag `i` after
  // the pattern makes the rest case-sensitive (pcre_table(5): it toggles the
  // default, case-insensitive matching).
  // Cut in its padding ("Your invoice" and 180 spaces): the padding is part
  // of the prefix, or it would be as wide as the first words.
  std::string end = "[[:space:]]*$";
  if (!out.exact) end = padding > 0 ? "[[:space:]]{" + std::to_string(padding) + ",}" : "";
  out.line = "/^(?i:subject):[[:space:]]*" + body + end + "/i " + kHeaderChecksAction;
  return out;
}

std::string DescribeHeaderCheck(const HeaderCheck& check) {
  if (check.line.empty()) return "nothing (an empty subject is never written)";
  return std::string("a Subject: header whose text is ") +
         (check.exact ? "exactly this subject"
                      : "this subject and anything after it (it is as long as Postfix logs "
                        "a subject: the end may have been cut)") +
         ": the same characters in the same case, any number where it has a number (as many "
         "digits or more inside a word), any spaces or line folds where it has spaces" +
         std::string(check.exact ? "" : " (at least as many where it has several)");
}

bool HeaderChecksAction::RefusesAProtectedSubject(const std::string& line) const {
  if (o_.protected_subjects.empty()) return false;
  const HeaderCheckMatcher m(line);
  for (const std::string& s : o_.protected_subjects)
    if (m.Matches("Subject: " + s)) return true;
  return false;
}

std::string HeaderChecksAction::Render(const DesiredBlocks& desired) const {
  std::string out = "# mailtrail: blocked subjects. Written by the agent; edits are lost.\n";
  // Raw forms that differ only in their numbers or spacing make one line.
  std::set<std::string> lines;
  for (const auto& s : desired.subjects) {
    HeaderCheck c = HeaderChecksLine(s);
    if (c.line.empty() || !lines.insert(c.line).second) continue;
    if (RefusesAProtectedSubject(c.line)) {
      out +=
          "# a blocked subject's line not written: it would refuse a subject of "
          "[blocks] allow_subjects\n";
      continue;
    }
    out += c.line + "\n";
  }
  return out;
}

namespace {

// The whole of a small file, or nullopt.
std::optional<std::string> ReadSmall(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out;
  char buf[8192];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0 && out.size() < (64u << 20)) out.append(buf, n);
  ::close(fd);
  if (n < 0) return std::nullopt;
  return out;
}

// True if `stamp` was touched at or after `path` last changed.
bool TouchedSince(const std::string& stamp, const std::string& path) {
  struct stat a, b;
  if (::stat(stamp.c_str(), &a) != 0 || ::stat(path.c_str(), &b) != 0) return false;
  return a.st_mtim.tv_sec > b.st_mtim.tv_sec ||
         (a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec >= b.st_mtim.tv_nsec);
}

}  // namespace

Status HeaderChecksAction::Apply(const DesiredBlocks& desired, TimeUs now) {
  const std::string content = Render(desired);
  const std::string stamp = o_.path + ".reloaded";
  if (!started_) {
    started_ = true;
    if (ReadSmall(o_.path) == content) {  // as a previous run left it
      written_ = content;
      reload_due_ = !TouchedSince(stamp, o_.path);
    }
  }
  // What is on disk, not what we remember writing: a table edited or removed
  // by someone else is written again (and Postfix reloaded) on a recheck.
  if (content != written_ || ReadSmall(o_.path) != content) {
    if (Status st = WriteWhole(o_.path, content, nullptr); !st.ok()) return st;
    written_ = content;
    reload_due_ = true;
  }
  if (!reload_due_ || !o_.reload) return Status::Ok();
  if (last_reload_ >= 0 && now - last_reload_ < o_.reload_interval)
    return Status::Unavailable("postfix reload waits for its interval");
  last_reload_ = now;
  auto r = RunProgram({o_.postfix, "-c", o_.config_dir, "reload"}, o_.tool_timeout_ms);
  if (!r.ok()) return r.status();
  reload_due_ = false;
  // The next start knows Postfix has this table (a failed stamp costs a reload).
  const int fd = ::open(stamp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0) {
    ::futimens(fd, nullptr);
    ::close(fd);
  }
  return Status::Ok();
}

}  // namespace mailtrail
