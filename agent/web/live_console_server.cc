// The console of `mailtrail run` ([web]): a WebServer on its own thread over
// a connection of its own to the agent's store (agent/cli/live_console.h),
// read-only unless [web] writes.
#include <memory>
#include <optional>
#include <thread>

#include "agent/cli/live_console.h"
#include "agent/cli/store_args.h"
#include "agent/cli/verbs.h"
#include "agent/web/web_server.h"
#include "agent/web/web_setup.h"

namespace mailtrail::web {

namespace {

class LiveConsoleServer : public cli::LiveConsole {
 public:
  ~LiveConsoleServer() override {
    if (server_) server_->Stop();
    if (thread_.joinable()) thread_.join();
  }
  std::string url() const override { return url_; }
  std::vector<std::string> warnings() const override { return setup_.warnings(); }

  static StatusOr<std::unique_ptr<cli::LiveConsole>> Start(const Config& c, const Clock& clock) {
    auto self = std::make_unique<LiveConsoleServer>();
    // The same settings and the same code as `mailtrail web --config`; the
    // guard of writes is this configuration's [blocks].
    if (Status st = self->setup_.Init(c.web, cli::MakeBlockGuard(c)); !st.ok()) return st;
    const WebOptions& o = self->setup_.options();
    StoreOptions so = cli::ReaderOptions();
    // Writes go through these connections to the store, as `mailtrail web
    // --writes`'s do: the agent picks the blocks up from there like any other
    // agent's (docs/web.md). The agent's writer is not shared between threads.
    so.read_only = !o.writes;
    so.sqlite_mmap_mb = c.web.mmap_mb;
    so.password_file = c.store.password_file;
    auto access =
        StoreAccess::Open(kWebStoreConnections, [&] { return OpenStore(c.store.url, so); });
    if (!access.ok()) return access.status();
    self->access_ = std::move(*access);
    self->server_ = std::make_unique<WebServer>(self->access_.get(), &clock, o);
    if (Status st = self->server_->Bind(); !st.ok()) return st;
    const std::string host = o.listen.substr(0, o.listen.rfind(':'));
    self->url_ = "http://" + host + ":" + std::to_string(self->server_->port()) + "/";
    WebServer* server = self->server_.get();
    self->thread_ = std::thread([server] { server->Run(); });
    return std::unique_ptr<cli::LiveConsole>(std::move(self));
  }

 private:
  WebSetup setup_;  // what the server's options point to
  std::unique_ptr<StoreAccess> access_;
  std::unique_ptr<WebServer> server_;
  std::thread thread_;
  std::string url_;
};

}  // namespace

}  // namespace mailtrail::web

namespace mailtrail::cli {
// Registered by main() (agent/cli/main.cc).
void RegisterWebConsole() {
  SetLiveConsoleStarter(web::LiveConsoleServer::Start);
  SetWebMain(WebMain);
}
}  // namespace mailtrail::cli
