// `mailtrail web --store URL [--listen 127.0.0.1:8025] [--config FILE]`: the
// web console, with [web] of FILE under the flags (agent/web/web_settings.h).
#include <pthread.h>
#include <csignal>
#include <cstdio>
#include <thread>

#include <optional>

#include "agent/cli/args.h"
#include "agent/cli/block_guard.h"
#include "agent/cli/store_args.h"
#include "agent/cli/verb_spec.h"
#include "agent/cli/verbs.h"
#include "agent/config/config.h"
#include "agent/web/web_server.h"
#include "agent/web/web_setup.h"
#include "base/text.h"

namespace mailtrail::cli {

static_assert(web::WebSettings{}.mmap_mb == kDefaultReaderMmapMb, "one default for readers");

namespace {

// [web] of --config (when given), then each flag given on the command line
// over its key.
web::WebSettings Settings(const Args& args, const std::optional<Config>& file) {
  web::WebSettings s = file ? file->web : web::WebSettings{};
  if (auto v = args.Get("listen")) s.listen = *v;
  if (s.listen.empty()) s.listen = web::WebOptions{}.listen;  // [web] "" is "the agent serves none"
  if (auto v = args.Get("auth-file")) s.auth_file = *v;
  if (auto v = args.Get("proxy-header")) s.proxy_header = *v;
  if (auto v = args.Get("trusted-proxy")) s.trusted_proxy = web::SplitCommas(*v);
  if (auto v = args.Get("proxy-operators")) s.proxy_operators = web::SplitCommas(*v);
  if (auto v = args.Get("exports-per-minute")) s.exports_per_minute = std::stoll(*v);
  if (auto v = args.Get("mmap-mb")) s.mmap_mb = std::stoll(*v);
  if (auto v = args.Get("report-records")) s.report_records = std::stoll(*v);
  if (args.Has("writes")) s.writes = true;
  if (auto v = args.Get("audit")) s.audit = *v;
  return s;
}

}  // namespace

int WebMain(const std::vector<std::string>& argv, const Clock& clock) {
  ParsedArgs parsed;
  if (auto exit = ParseOrUsage(kWebVerb, argv, &parsed)) return *exit;
  const Args* args = &parsed.args;
  auto config_error = [](const std::string& what) {
    std::fprintf(stderr, "mailtrail web: %s\n", what.c_str());
    return kExitConfig;
  };
  std::optional<Config> file;
  if (auto path = args->Get("config")) {
    auto c = LoadConfig(*path);
    if (!c.ok()) return config_error(c.status().message());
    file = std::move(*c);
  }
  const web::WebSettings settings = Settings(*args, file);
  // The guard of blocks added by hand: the file's [blocks]; without one, for
  // writes, the agent's default file when readable (as `mailtrail blocks add`).
  std::optional<BlockGuard> guard;
  if (file) {
    guard = MakeBlockGuard(*file);
  } else if (settings.writes) {
    auto g = LoadBlockGuard(std::nullopt, std::nullopt);
    if (!g.ok()) return config_error(g.status().message());
    guard = std::move(*g);
  }
  web::WebSetup setup;
  if (Status st = setup.Init(settings, std::move(guard)); !st.ok())
    return config_error(st.message());
  for (const std::string& w : setup.warnings())
    std::fprintf(stderr, "mailtrail web: warning: %s\n", EscapeForLog(w, 300).c_str());
  const web::WebOptions& options = setup.options();
  const bool authenticated = setup.authenticated();
  std::string host;
  int port = 0;
  if (Status st = web::CheckListen(options.listen, authenticated, &host, &port); !st.ok())
    return config_error(st.message());
  StoreOptions store_options = ReaderOptions();
  store_options.read_only = !options.writes;  // writes: nothing created, but written to
  store_options.sqlite_mmap_mb = settings.mmap_mb;
  auto opened = web::StoreAccess::Open(web::kWebStoreConnections,
                                       [&] { return OpenStoreFromArgs(*args, store_options); });
  if (!opened.ok()) return Fail(opened.status().message());
  web::StoreAccess& access = **opened;

  // SIGINT/SIGTERM end the server: blocked in every thread, awaited by one.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  web::WebServer server(&access, &clock, options);
  if (Status st = server.Bind(); !st.ok()) return Fail(st.message());
  const std::string shown = host.find(':') == std::string::npos ? host : "[" + host + "]";
  std::fprintf(stderr, "mailtrail web: serving http://%s:%d/ (%s%s)\n", shown.c_str(),
               server.port(), options.writes ? "writes enabled" : "read-only",
               authenticated ? ", authenticated" : "");
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    server.Stop();
  });
  server.Run();
  // Stopped by a signal: the waiter has returned. Any other end: wake it.
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  return kExitOk;
}

}  // namespace mailtrail::cli
