#include "agent/metrics/metrics_server.h"

#include <httplib.h>

#include "base/ip_address.h"

namespace mailtrail {

Status ParseLoopbackListen(const std::string& listen, std::string* host, int* port) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return Status::InvalidArgument("listen must be HOST:PORT, e.g. 127.0.0.1:9432");
  std::string h = listen.substr(0, colon);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  char* end = nullptr;
  const long p = std::strtol(listen.c_str() + colon + 1, &end, 10);
  if (*end != '\0' || p < 1 || p > 65535) return Status::InvalidArgument("bad port in " + listen);
  auto ip = IpAddress::Parse(h);
  const std::string bytes = ip ? ip->Bytes() : std::string();
  const bool loopback = ip && ((ip->is_v4() && bytes[0] == 127) ||
                               (!ip->is_v4() && bytes == std::string(15, '\0') + '\1'));
  if (!loopback) return Status::InvalidArgument("metrics listen only on loopback, not " + h);
  *host = h;
  *port = static_cast<int>(p);
  return Status::Ok();
}

MetricsServer::MetricsServer() = default;

MetricsServer::~MetricsServer() { Stop(); }

Status MetricsServer::Start(const std::string& listen) {
  std::string host;
  int port = 0;
  if (Status st = ParseLoopbackListen(listen, &host, &port); !st.ok()) return st;
  server_ = std::make_unique<httplib::Server>();
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
