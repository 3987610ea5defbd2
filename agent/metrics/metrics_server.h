// MetricsServer: serves the agent's counters in Prometheus text format at
// GET /metrics, from its own thread (cpp-httplib, Debian's libcpp-httplib).
// The event loop renders the text and Publish()es it; the server only copies the
// last published text out, under a mutex, so it never touches agent state.
// SECURITY: listens on loopback addresses only (checked), answers nothing but
// GET /metrics, reads no request body.
#ifndef MAILTRAIL_AGENT_METRICS_METRICS_SERVER_H_
#define MAILTRAIL_AGENT_METRICS_METRICS_SERVER_H_

#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/status.h"

namespace httplib {
class Server;
}

namespace mailtrail {

class MetricsServer {
 public:
  MetricsServer();
  ~MetricsServer();

  // "127.0.0.1:9432" or "[::1]:9432". Fails for a non-loopback address or a port
  // that cannot be bound.
  Status Start(const std::string& listen);
  void Publish(std::string text);
  void Stop();

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::mutex mu_;
  std::string text_;
};

// Splits and checks "HOST:PORT" (HOST a loopback address).
Status ParseLoopbackListen(const std::string& listen, std::string* host, int* port);

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_METRICS_METRICS_SERVER_H_
