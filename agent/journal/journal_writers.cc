#include "agent/journal/journal_writers.h"

#include <pwd.h>

#include <algorithm>

#include "base/parse_number.h"

namespace mailtrail {

const std::vector<std::string> kDefaultJournalWriters = {"root", "postfix", "amavis"};

namespace {

bool AllDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The user id of `name`, if it is a user here.
std::optional<uint32_t> UidOf(const std::string& name) {
  struct passwd pw;
  struct passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr)
    return std::nullopt;
  return static_cast<uint32_t>(found->pw_uid);
}

}  // namespace

bool ValidJournalWriter(const std::string& name) {
  if (name == kAnyJournalWriter) return true;
  if (name.empty() || name.size() > 32 || name[0] == '-') return false;
  // POSIX's portable user names, and the '$' of Samba's machine accounts.
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-' || c == '$';
  });
}

ResolvedWriters ResolveJournalWriters(const std::vector<std::string>& given) {
  const std::vector<std::string>& names = given.empty() ? kDefaultJournalWriters : given;
  ResolvedWriters r;
  if (std::find(names.begin(), names.end(), kAnyJournalWriter) != names.end()) {
    r.description = "anyone (journal_writers = [\"*\"])";
    return r;
  }
  std::vector<uint32_t> uids;
  std::string missing;
  for (const std::string& name : names) {
    int64_t n = 0;
    std::optional<uint32_t> uid;
    if (AllDigits(name) && ParseInteger(name, 0, UINT32_MAX, &n))
      uid = static_cast<uint32_t>(n);
    else
      uid = UidOf(name);
    if (!uid) {
      missing += (missing.empty() ? "" : ", ") + name;
      continue;
    }
    uids.push_back(*uid);
    r.description += (r.description.empty() ? "" : ", ") + name + " (" + std::to_string(*uid) + ")";
  }
  if (r.description.empty()) r.description = "no user at all";
  if (!missing.empty()) r.description += "; no user here: " + missing;
  r.doubtful = uids.empty() || (!missing.empty() && names != kDefaultJournalWriters);
  std::sort(uids.begin(), uids.end());
  uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
  r.uids = std::move(uids);
  return r;
}

}  // namespace mailtrail
