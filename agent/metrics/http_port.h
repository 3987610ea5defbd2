// The agent's HTTP servers (metrics, the web console) bind their port alone.
// cpp-httplib 0.11.4's default socket options add SO_REUSEPORT to
// SO_REUSEADDR: a second server (a second agent, or any process of the same
// user) then bound the same port without an error, and the kernel gave it
// part of the connections, both serving (helper-82).
#ifndef MAILTRAIL_AGENT_METRICS_HTTP_PORT_H_
#define MAILTRAIL_AGENT_METRICS_HTTP_PORT_H_

#include <httplib.h>
#include <sys/socket.h>

namespace mailtrail {

// SO_REUSEADDR only (a restart still binds past TIME_WAIT).
inline void BindPortAlone(httplib::Server* server) {
  server->set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
}

}  // namespace mailtrail

#endif  // MAILTRAIL_AGENT_METRICS_HTTP_PORT_H_
