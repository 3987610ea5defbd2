// The spec of `mailtrail web` (agent/web/web_verb.cc runs it) and the stand-in
// the verb table runs it through. Here, in the CLI's library, so that the verb
// list, --help and the man page need no link to the web console's code.
#include "agent/cli/args.h"
#include "agent/cli/store_args.h"
#include "agent/cli/verb_spec.h"
#include "agent/cli/verbs.h"

namespace mailtrail::cli {

const VerbSpec kWebVerb = {
    "web",
    "the web console: search, messages, reports, blocks, status (loopback by default)",
    "[options]",
    {
        kStoreFlag,
        kPasswordFileFlag,
        {"listen", true,
         "IP:PORT to serve on (default 127.0.0.1:8025; loopback unless authenticated)", "IP:PORT"},
        {"auth-file", true,
         "users and tokens: basic|token:NAME:viewer|operator:CRYPT-HASH a line (mkpasswd -m "
         "yescrypt)",
         "FILE"},
        {"proxy-header", true,
         "believe this header (set by a reverse proxy) as the user name, from --trusted-proxy only",
         "NAME"},
        {"trusted-proxy", true, "the reverse proxies' addresses, comma-separated", "CIDR,..."},
        {"proxy-operators", true, "users named by the proxy who are operators (others: viewers)",
         "USER,..."},
        IntFlag("exports-per-minute", "exports one client may start per minute (default 20)", 1,
                100000),
        IntFlag("report-records",
                "records a report not made by the hour sums at most (default 200000)", 1,
                100000000),
        IntFlag("mmap-mb",
                "SQLite: MiB of the store read through a memory map (default 2048; 0: "
                "none)",
                0, 1 << 20),
        {"writes", false,
         "enable block add/extend/remove for operators (needs --auth-file, --audit)"},
        {"audit", true, "SQLite file whose table web_audit records every write", "FILE"},
        {"config", true,
         "configuration file: its [web] keys are the defaults of the flags above (a flag given "
         "wins); its [blocks] allow and min_subject_chars guard writes",
         "FILE"},
        kHelpFlag,
    },
    0,
    0,
    {},
    "Read-only unless --writes ([web] writes); a listen address other than loopback needs "
    "--auth-file or --proxy-header (or [web] auth_file or proxy_header). "
    "Pages, API and security: docs/web.md. Exit status 78: the options or files are wrong.",
};

namespace {
VerbMain& WebMainSlot() {
  static VerbMain web_main = nullptr;
  return web_main;
}
}  // namespace

void SetWebMain(VerbMain web_main) { WebMainSlot() = web_main; }

int RegisteredWebMain(const std::vector<std::string>& args, const Clock& clock) {
  if (WebMainSlot() == nullptr) return Fail("this mailtrail has no web console");
  return WebMainSlot()(args, clock);
}

}  // namespace mailtrail::cli
