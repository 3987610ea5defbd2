// Who is asking: HTTP Basic against a file of crypt(3) hashes (yescrypt or
// bcrypt, made with `mkpasswd -m yescrypt`), or a bearer token checked the
// same way. Each entry has a role: viewer (reads) or operator (also writes).
//
// The file, one entry a line ('#' starts a comment):
//   basic:USER:ROLE:HASH     Authorization: Basic base64(USER:PASSWORD)
//   token:NAME:ROLE:HASH     Authorization: Bearer NAME.SECRET
//
// Thread-safe (the server's workers call Check). A hash costs tens of
// milliseconds by design; a credential that matched is remembered for
// kRememberSeconds after its last use, so that each page's requests do not
// pay it again.
//
// SECURITY: the header is untrusted: bounded (httplib caps headers at 8 KiB),
// decoded strictly, never logged. Unknown users cost a hash too (a dummy), so
// the time taken does not tell which users exist.
#ifndef MAILTRAIL_AGENT_WEB_AUTH_H_
#define MAILTRAIL_AGENT_WEB_AUTH_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/status.h"

namespace mailtrail::web {

enum class Role { kViewer, kOperator };
const char* RoleName(Role r);

struct Principal {
  std::string name;
  Role role = Role::kViewer;
};

class Authenticator {
 public:
  static constexpr int64_t kRememberSeconds = 300;

  // Reads the file; InvalidArgument names "FILE:LINE" and what is wrong.
  static StatusOr<Authenticator> Load(const std::string& path);
  // The same from the file's text (tests).
  static StatusOr<Authenticator> Parse(const std::string& text, const std::string& name);

  Authenticator(Authenticator&& o) noexcept
      : entries_(std::move(o.entries_)), warnings_(std::move(o.warnings_)) {}

  // What the file holds that works but is unwise ("FILE:LINE: ..."): a
  // method no longer thought strong; hashes of one kind that differ in
  // method or cost. Every hash was checked to be usable (Parse refuses one
  // crypt(3) cannot compute).
  const std::vector<std::string>& warnings() const { return warnings_; }

  // The principal of an Authorization header value, or nullopt. With
  // `remembered_only`, only a credential verified within kRememberSeconds
  // (no hash is computed): an address locked out for wrong credentials
  // still lets those through (helper-151: anyone could lock every user
  // behind one address out).
  std::optional<Principal> Check(std::string_view authorization, const Clock& clock,
                                 bool remembered_only = false);

  // The hash an unknown name of this kind is checked against: the file's
  // first of that kind (else its first), so that it costs what a known
  // name does, whatever method and cost the file uses (a fixed yescrypt
  // dummy told bcrypt users' names by the time: helper-77).
  const std::string& UnknownNameHash(bool token) const;

 private:
  Authenticator() = default;
  struct Entry {
    bool token = false;
    std::string name, hash;
    Role role = Role::kViewer;
  };
  const Entry* Find(bool token, std::string_view name) const;
  const Entry& FirstOfKind(bool token) const;
  std::optional<Principal> Verify(bool token, std::string_view name, std::string_view secret,
                                  const Clock& clock, bool remembered_only);

  std::vector<Entry> entries_;
  std::vector<std::string> warnings_;
  std::mutex mu_;
  // (kind+name+secret) -> when it was last verified, monotonic microseconds.
  std::map<std::string, TimeUs> remembered_;
};

// Standard base64 (RFC 4648, padding required); nullopt when malformed.
std::optional<std::string> Base64Decode(std::string_view s);

}  // namespace mailtrail::web

#endif  // MAILTRAIL_AGENT_WEB_AUTH_H_
