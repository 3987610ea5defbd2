// `mailtrail web --store URL [--listen 127.0.0.1:8025]`: the web console.
#include <pthread.h>
#include <csignal>
#include <cstdio>
#include <thread>

#include "agent/cli/args.h"
#include "agent/cli/store_args.h"
#include "agent/cli/verbs.h"
#include "agent/web/web_server.h"

namespace mailtrail::cli {

namespace {
constexpr int kExitConfig = 78;  // EX_CONFIG: the systemd unit does not restart on it

const std::vector<FlagSpec> kWebFlags = {
    kStoreFlag,
    kPasswordFileFlag,
    {"listen", true, "IP:PORT to serve on (default 127.0.0.1:8025; loopback unless authenticated)"},
    {"help", false, "this help"},
};
}  // namespace

int WebMain(const std::vector<std::string>& argv, const Clock& clock) {
  auto args = ParseArgs(argv, kWebFlags);
  if (!args.ok() || !args->positionals.empty()) {
    std::fprintf(stderr,
                 "mailtrail web: %s\nusage: mailtrail web [--store URL] [--listen IP:PORT]\n",
                 args.ok() ? "unexpected argument" : args.status().message().c_str());
    return kExitUsage;
  }
  if (args->Has("help")) {
    std::printf("usage: mailtrail web [options]\n%s", FlagsHelp(kWebFlags).c_str());
    return kExitOk;
  }
  web::WebOptions options;
  options.listen = args->Get("listen").value_or(options.listen);
  std::string host;
  int port = 0;
  if (Status st = web::CheckListen(options.listen, options.auth_configured, &host, &port);
      !st.ok()) {
    std::fprintf(stderr, "mailtrail web: %s\n", st.message().c_str());
    return kExitConfig;
  }
  auto store = OpenStoreFromArgs(*args, ReaderOptions());
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
  std::fprintf(stderr, "mailtrail web: serving http://%s:%d/ (read-only)\n",
               host.find(':') == std::string::npos ? host.c_str() : ("[" + host + "]").c_str(),
               server.port());
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
