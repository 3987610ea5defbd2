#include "agent/web/web_setup.h"

namespace mailtrail::web {

Status WebSetup::Init(const WebSettings& s, std::optional<cli::BlockGuard> guard) {
  if (Status st = CheckWebSettings(s); !st.ok()) return st;
  options_.listen = s.listen;
  if (!s.auth_file.empty()) {
    auto a = Authenticator::Load(s.auth_file);
    if (!a.ok()) return a.status();
    auth_.emplace(std::move(*a));
    options_.auth = &*auth_;
  }
  if (!s.proxy_header.empty()) {
    auto p = ParseProxyAuth(s.proxy_header, s.trusted_proxy, s.proxy_operators);
    if (!p.ok()) return p.status();
    proxy_.emplace(std::move(*p));
    options_.proxy = &*proxy_;
  }
  options_.exports.per_client = static_cast<int>(s.exports_per_minute);
  options_.report_records = s.report_records;
  if (guard) {
    guard_.emplace(std::move(*guard));
    options_.guard = &*guard_;
  }
  options_.writes = s.writes;
  if (s.writes) {
    if (!guard_) return Status::InvalidArgument("writes need the [blocks] guard");
    if (Status st = audit_.Open(s.audit); !st.ok())
      return Status::IoError(s.audit + ": " + st.message());
    options_.audit = &audit_;
  }
  return Status::Ok();
}

}  // namespace mailtrail::web
