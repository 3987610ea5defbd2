// What the console's settings make, the same for `mailtrail web` and the live
// agent's console ([web]): the users file loaded, the proxy parsed, the audit
// file opened, the export rate set, the block guard kept, and the WebOptions
// that point to them. One place, so that the two ways of serving cannot
// differ in what a setting means.
#ifndef MAILTRAIL_AGENT_WEB_WEB_SETUP_H_
#define MAILTRAIL_AGENT_WEB_WEB_SETUP_H_

#include <optional>
#include <string>
#include <vector>

#include "agent/cli/block_guard.h"
#include "agent/web/audit_log.h"
#include "agent/web/auth.h"
#include "agent/web/proxy_auth.h"
#include "agent/web/web_server.h"
#include "agent/web/web_settings.h"
#include "base/status.h"

namespace mailtrail::web {

class WebSetup {
 public:
  WebSetup() = default;
  WebSetup(const WebSetup&) = delete;
  WebSetup& operator=(const WebSetup&) = delete;

  // Checks `s` (CheckWebSettings: InvalidArgument) and opens what it names
  // (the users file, the audit file: their errors). `guard`: what a block
  // added by hand may not touch, also shown by explain; nullopt = the
  // defaults (explain's). Writes need one.
  Status Init(const WebSettings& s, std::optional<cli::BlockGuard> guard);
  // Valid after Init succeeded, for as long as this object lives.
  const WebOptions& options() const { return options_; }
  bool authenticated() const { return options_.auth || options_.proxy; }
  // What the users file holds that works but is unwise (Authenticator::warnings).
  std::vector<std::string> warnings() const {
    return auth_ ? auth_->warnings() : std::vector<std::string>{};
  }

 private:
  WebOptions options_;
  std::optional<Authenticator> auth_;
  std::optional<ProxyAuth> proxy_;
  AuditLog audit_;
  std::optional<cli::BlockGuard> guard_;
};

}  // namespace mailtrail::web

#endif  // MAILTRAIL_AGENT_WEB_WEB_SETUP_H_
