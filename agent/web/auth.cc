#include "agent/web/auth.h"

#include <crypt.h>

#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

namespace mailtrail::web {

namespace {

constexpr size_t kMaxRemembered = 1000;

// crypt(3) of `secret` with `hash`'s setting; nullopt when it fails
// (libxcrypt's failure tokens start with '*').
std::optional<std::string> Crypt(const std::string& secret, const std::string& hash) {
  auto data = std::make_unique<crypt_data>();  // large (~32 KiB): not on the stack
  std::memset(data.get(), 0, sizeof(crypt_data));
  const char* got = crypt_r(secret.c_str(), hash.c_str(), data.get());
  if (!got || got[0] == '*') return std::nullopt;
  return std::string(got);
}

bool HashMatches(const std::string& secret, const std::string& hash) {
  const std::optional<std::string> got = Crypt(secret, hash);
  if (!got || got->size() != hash.size()) return false;
  unsigned char diff = 0;  // constant time over the length
  for (size_t i = 0; i < got->size(); ++i) diff |= static_cast<unsigned char>((*got)[i] ^ hash[i]);
  return diff == 0;
}

// Why crypt(3) cannot check secrets against `hash`, or "". It must compute
// a hash of the same form: one it fails on answers at once, so a name with
// it (or an unknown name checked against it: UnknownNameHash) was told from
// the others by the answer's time, and no secret matched (helper-78).
std::string HashProblem(const std::string& hash) {
  const std::optional<std::string> got = Crypt("mailtrail: is this hash usable?", hash);
  if (!got) return "crypt(3) cannot use this hash (an unknown method or a damaged setting)";
  const size_t setting = hash.rfind('$');
  if (got->size() != hash.size() || got->compare(0, setting, hash, 0, setting) != 0)
    return "not a whole crypt(3) hash (its length or setting is not what crypt(3) makes)";
  return "";
}

// A hash's method and cost, without its salt, alike for hashes that cost
// alike: "$y$j9T", "$7$CU..../....", "$2$12" (bcrypt's $2a$, $2b$ and $2y$),
// "$6$rounds=5000" (also without rounds=), "$md5,rounds=904".
std::string CostOf(const std::string& hash) {
  auto starts = [&](const char* p) { return hash.compare(0, std::strlen(p), p) == 0; };
  if (starts("$7$")) return hash.substr(0, 14);  // N, r and p: before the salt
  if (starts("$2") && hash.size() > 6) return "$2$" + hash.substr(4, 2);
  if (starts("$5$") || starts("$6$"))
    return starts("$5$rounds=") || starts("$6$rounds=") ? hash.substr(0, hash.find('$', 3))
                                                        : hash.substr(0, 3) + "rounds=5000";
  if (starts("$md5")) return hash.substr(0, hash.find('$', 1));
  // $y$, $gy$, $sha1$, $1$, ...: the fields before the salt's.
  size_t end = hash.rfind('$');
  if (end != std::string::npos && end > 0) end = hash.rfind('$', end - 1);
  return hash.substr(0, end);
}

std::vector<std::string> SplitColons(const std::string& line, size_t parts) {
  std::vector<std::string> out;
  size_t at = 0;
  while (out.size() + 1 < parts) {
    const size_t c = line.find(':', at);
    if (c == std::string::npos) break;
    out.push_back(line.substr(at, c - at));
    at = c + 1;
  }
  out.push_back(line.substr(at));
  return out;
}

int B64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

const char* RoleName(Role r) { return r == Role::kOperator ? "operator" : "viewer"; }

std::optional<std::string> Base64Decode(std::string_view s) {
  if (s.size() % 4 != 0) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < s.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s[i + k];
      if (c == '=' && i + 4 == s.size() && k >= 2) {
        v[k] = 0;
        ++pad;
        continue;
      }
      if (pad) return std::nullopt;  // data after padding
      v[k] = B64Value(c);
      if (v[k] < 0) return std::nullopt;
    }
    const uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out.push_back(static_cast<char>(n >> 16));
    if (pad < 2) out.push_back(static_cast<char>((n >> 8) & 0xFF));
    if (pad < 1) out.push_back(static_cast<char>(n & 0xFF));
  }
  return out;
}

StatusOr<Authenticator> Authenticator::Parse(const std::string& text, const std::string& name) {
  Authenticator a;
  std::vector<std::string> legacy;  // names whose hash's method libxcrypt calls legacy
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    const auto f = SplitColons(line, 4);
    auto bad = [&](const std::string& why) {
      return Status::InvalidArgument(name + ":" + std::to_string(n) + ": " + why);
    };
    if (f.size() != 4) return bad("want basic|token:NAME:viewer|operator:HASH");
    Entry e;
    if (f[0] != "basic" && f[0] != "token") return bad("the kind is basic or token");
    e.token = f[0] == "token";
    e.name = f[1];
    if (e.name.empty() || e.name.find_first_of(" \t.") != std::string::npos)
      return bad("a name is not empty and has no blank or '.'");
    if (f[2] != "viewer" && f[2] != "operator") return bad("the role is viewer or operator");
    e.role = f[2] == "operator" ? Role::kOperator : Role::kViewer;
    e.hash = f[3];
    if (e.hash.size() < 20 || e.hash[0] != '$')
      return bad("not a crypt(3) hash (make one with: mkpasswd -m yescrypt)");
    if (a.Find(e.token, e.name)) return bad("a second entry for " + e.name);
    if (std::string why = HashProblem(e.hash); !why.empty()) return bad(why);
    if (crypt_checksalt(e.hash.c_str()) == CRYPT_SALT_METHOD_LEGACY) legacy.push_back(e.name);
    a.entries_.push_back(std::move(e));
  }
  if (a.entries_.empty()) return Status::InvalidArgument(name + ": no entries");
  if (!legacy.empty()) {
    std::string names;
    for (size_t i = 0; i < legacy.size() && i < 5; ++i) names += (i ? ", " : "") + legacy[i];
    if (legacy.size() > 5) names += ", ...";
    a.warnings_.push_back(name + ": " + std::to_string(legacy.size()) +
                          " hash(es) of a method no longer thought strong (" + names +
                          "): make them again (mkpasswd -m yescrypt)");
  }
  // A wrong name is checked against the kind's first hash (UnknownNameHash):
  // a user whose hash costs another time is told from it by the answer's.
  for (const Entry& e : a.entries_) {
    const Entry& first = a.FirstOfKind(e.token);
    if (CostOf(e.hash) == CostOf(first.hash)) continue;
    a.warnings_.push_back(name + ": " + (e.token ? "token" : "basic") +
                          " hashes differ in method or cost (" + CostOf(first.hash) + " for " +
                          first.name + ", " + CostOf(e.hash) + " for " + e.name +
                          "): the answer's time tells which names exist; make them alike");
    break;
  }
  return a;
}

StatusOr<Authenticator> Authenticator::Load(const std::string& path) {
  std::ifstream f(path);
  if (!f) return Status::InvalidArgument("cannot read " + path);
  std::stringstream text;
  text << f.rdbuf();
  return Parse(text.str(), path);
}

const Authenticator::Entry& Authenticator::FirstOfKind(bool token) const {
  for (const Entry& e : entries_)
    if (e.token == token) return e;
  return entries_.front();  // Parse refuses a file without entries
}

const std::string& Authenticator::UnknownNameHash(bool token) const {
  return FirstOfKind(token).hash;
}

const Authenticator::Entry* Authenticator::Find(bool token, std::string_view name) const {
  for (const Entry& e : entries_)
    if (e.token == token && e.name == name) return &e;
  return nullptr;
}

std::optional<Principal> Authenticator::Verify(bool token, std::string_view name,
                                               std::string_view secret, const Clock& clock,
                                               bool remembered_only) {
  // crypt(3) reads C strings: a NUL would end the secret early ("pw\0x"
  // checked as "pw"). Such a name or secret is no one's, at the same cost.
  const bool nul =
      name.find('\0') != std::string_view::npos || secret.find('\0') != std::string_view::npos;
  const Entry* e = nul ? nullptr : Find(token, name);
  const std::string key =
      std::string(token ? "t:" : "b:") + std::string(name) + '\0' + std::string(secret);
  const TimeUs now = clock.MonotonicNow();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = remembered_.find(key);
    if (e && it != remembered_.end() && now - it->second < kRememberSeconds * kUsPerSecond) {
      // Each use keeps it: a user of an address locked out for a stranger's
      // wrong passwords (remembered_only) is verified by no hash, and was
      // shut out 5 minutes after the last one (helper-153 F2).
      it->second = now;
      return Principal{e->name, e->role};
    }
  }
  if (remembered_only) return std::nullopt;
  const bool ok = HashMatches(std::string(secret), e ? e->hash : UnknownNameHash(token)) && e;
  if (!ok) return std::nullopt;
  std::lock_guard<std::mutex> lock(mu_);
  if (remembered_.size() >= kMaxRemembered) remembered_.clear();
  remembered_[key] = now;
  return Principal{e->name, e->role};
}

std::optional<Principal> Authenticator::Check(std::string_view authorization, const Clock& clock,
                                              bool remembered_only) {
  if (authorization.substr(0, 6) == "Basic ") {
    auto decoded = Base64Decode(authorization.substr(6));
    if (!decoded) return std::nullopt;
    const size_t colon = decoded->find(':');
    if (colon == std::string::npos) return std::nullopt;
    return Verify(false, std::string_view(*decoded).substr(0, colon),
                  std::string_view(*decoded).substr(colon + 1), clock, remembered_only);
  }
  if (authorization.substr(0, 7) == "Bearer ") {
    const std::string_view t = authorization.substr(7);
    const size_t dot = t.find('.');
    if (dot == std::string_view::npos) return std::nullopt;
    return Verify(true, t.substr(0, dot), t.substr(dot + 1), clock, remembered_only);
  }
  return std::nullopt;
}

}  // namespace mailtrail::web
