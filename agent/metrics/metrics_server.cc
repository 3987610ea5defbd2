#include "agent/metrics/metrics_server.h"

#include <httplib.h>

#include "agent/metrics/http_port.h"
#include "base/ip_address.h"

namespace mailtrail {

Status ParseLoopbackListen(const std::string& listen, std::string* host, int* port) {
  auto hp = ParseLoopbackHostPort(listen);  // base/ip_address.h: the one loopback check
  if (!hp || hp->port == 0)
    return Status::InvalidArgument(
        "metrics listen only on loopback, as HOST:PORT (e.g. 127.0.0.1:9432), not " + listen);
  *host = hp->ip.ToString();
  *port = hp->port;
  return Status::Ok();
}

MetricsServer::MetricsServer() = default;

MetricsServer::~MetricsServer() { Stop(); }

Status MetricsServer::Start(const std::string& listen) {
  std::string host;
  int port = 0;
  if (Status st = ParseLoopbackListen(listen, &host, &port); !st.ok()) return st;
  server_ = std::make_unique<httplib::Server>();
  BindPortAlone(server_.get());  // a second agent on the port is refused
  server_->set_payload_max_length(0);
  server_->set_read_timeout(5, 0);
  server_->set_write_timeout(5, 0);
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    std::string text;
    {
      std::lock_guard<std::mutex> lock(mu_);
      text = text_;
    }
    res.set_content(text, "text/plain; version=0.0.4");
  });
  if (!server_->bind_to_port(host.c_str(), port)) {
    server_.reset();
    return Status::Unavailable("cannot listen on " + listen);
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return Status::Ok();
}

void MetricsServer::Publish(std::string text) {
  std::lock_guard<std::mutex> lock(mu_);
  text_ = std::move(text);
}

void MetricsServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

}  // namespace mailtrail
