// `mailtrail web --store URL [--listen 127.0.0.1:8025]`: the web console.
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
#include "agent/web/web_server.h"

namespace mailtrail::cli {

int WebMain(const std::vector<std::string>& argv, const Clock& clock) {
  ParsedArgs parsed;
  if (auto exit = ParseOrUsage(kWebVerb, argv, &parsed)) return *exit;
  const Args* args = &parsed.args;
  web::WebOptions options;
  options.listen = args->Get("listen").value_or(options.listen);
  auto config_error = [](const std::string& what) {
    std::fprintf(stderr, "mailtrail web: %s\n", what.c_str());
    return kExitConfig;
  };
  std::optional<web::Authenticator> auth;
  if (auto path = args->Get("auth-file")) {
    auto a = web::Authenticator::Load(*path);
    if (!a.ok()) return config_error(a.status().message());
    auth.emplace(std::move(*a));
    options.auth = &*auth;
  }
  std::optional<web::ProxyAuth> proxy;
  if (auto header = args->Get("proxy-header")) {
    auto p = web::ParseProxyAuth(*header, args->Get("trusted-proxy").value_or(""),
                                 args->Get("proxy-operators").value_or(""));
    if (!p.ok()) return config_error(p.status().message());
    proxy.emplace(std::move(*p));
    options.proxy = &*proxy;
  } else if (args->Has("trusted-proxy") || args->Has("proxy-operators")) {
    return config_error("--trusted-proxy and --proxy-operators need --proxy-header");
  }
  if (auto n = args->Get("exports-per-minute")) options.exports.per_client = std::stoi(*n);
  const bool authenticated = options.auth || options.proxy;
  std::string host;
  int port = 0;
  if (Status st = web::CheckListen(options.listen, authenticated, &host, &port); !st.ok())
    return config_error(st.message());
  web::AuditLog audit;
  std::optional<BlockGuard> guard;
  options.writes = args->Has("writes");
  if (options.writes) {
    if (!authenticated)
      return config_error("--writes needs --auth-file or --proxy-header (writes need an operator)");
    auto audit_path = args->Get("audit");
    if (!audit_path) return config_error("--writes needs --audit FILE (every write is recorded)");
    if (Status st = audit.Open(*audit_path); !st.ok())
      return config_error(*audit_path + ": " + st.message());
    auto g = LoadBlockGuard(args->Get("config"), std::nullopt);
    if (!g.ok()) return config_error(g.status().message());
    guard.emplace(std::move(*g));
    options.audit = &audit;
    options.guard = &*guard;
  } else if (auto config = args->Get("config")) {  // explain says what it protects
    auto g = LoadBlockGuard(config, std::nullopt);
    if (!g.ok()) return config_error(g.status().message());
    guard.emplace(std::move(*g));
    options.guard = &*guard;
  }
  StoreOptions store_options = ReaderOptions();
  store_options.read_only = !options.writes;  // writes: nothing created, but written to
  auto store = OpenStoreFromArgs(*args, store_options);
  if (!store.ok()) return Fail(store.status().message());
  web::StoreAccess access(std::move(*store));

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
