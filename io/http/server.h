#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "io/http/options.h"
#include "io/http/request.h"

namespace accord::metrics {
class Registry;
}

namespace accord::http {

// "host:port" as in project.http_listen: "127.0.0.1:8080", "[::1]:8080",
// ":8080" (every interface), port 0 for any free port.
struct ListenAddress {
  std::string host;
  int port = 0;
};
// Throws ConfigError naming the text when it is not host:port.
ListenAddress ParseListenAddress(std::string_view text);

// What a listener does with one request, chosen from its head (method,
// target, headers) before any of its body is read.
struct Endpoint {
  Access access = Access::kOpen;
  // Answered on the I/O thread, also when the listener is full, so that a
  // flood of slow or busy clients cannot starve it: must be cheap.
  bool probe = false;
  // Every access, granted or refused, leaves an access-log line (who, what,
  // when, the answer) for auditors.
  bool personal = false;
  // The body limit of this endpoint; 0: the listener's.
  size_t max_body_bytes = 0;
  // Runs on a worker thread with the whole request. Exceptions are
  // answered 500.
  std::function<Response(const Request&)> answer;
};

using Router = std::function<Endpoint(const Request& head)>;

// GET /healthz: {"status":"ok"} while the process serves.
Endpoint HealthEndpoint();
// GET /metrics: the registry in Prometheus text format, to `access`.
Endpoint MetricsEndpoint(const metrics::Registry& registry, Access access);
// A 405 naming what `path` allows (GET and HEAD for the read-only ones).
Endpoint MethodNotAllowed(const Request& head, std::string_view allowed, Access access);

struct ServerCore;

// An HTTP/1.1 server (plain or TLS) on a thread of its own, with the limits,
// checks and authentication of ServerOptions applied to every request
// before its router's endpoints see it (docs/security.md):
//   400 malformed request, 413 body too large, 415 a state-changing
//   request that is not JSON, 421 a Host not served here, 431 headers too
//   large, 401/403 missing or insufficient credentials, 403 a browser
//   origin not allowed, 503 too many connections. A client too slow to
//   send its headers or body within the limits is disconnected.
class Server {
 public:
  // `listener` labels its metrics (accord_http_*{listener=...}); `what`
  // names it in log lines and errors ("serving <what> on http://...").
  Server(std::string listener, std::string what, ServerOptions options, Router router,
         metrics::Registry& registry);
  ~Server();  // Stop()s
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Called on the I/O thread with each answered request's head and status.
  void OnAnswered(std::function<void(const Request& head, int status)> observer);

  // Binds and starts serving; returns once connections are accepted. Throws
  // std::runtime_error naming `what`, the address and why when it cannot
  // bind or load its TLS files, followed by `hint` (how to choose another
  // address). The socket is exclusive: a second server on the same port
  // fails instead of sharing it.
  void Start(const std::string& host, int port, std::string_view hint);
  // Stops accepting, lets the requests being answered finish (up to a few
  // seconds) and joins the threads. Safe to call more than once.
  void Stop();

  // The port bound (the one chosen when Start() was given 0); 0 before.
  int port() const;
  bool tls() const;

 private:
  std::unique_ptr<ServerCore> core_;
};

// Refuses (std::runtime_error) to serve endpoints that need credentials on
// `host` when no principal is configured, unless insecure_no_auth, which in
// turn is refused on anything but a loopback address. Logs a warning when
// serving without credentials.
void CheckCredentials(const ServerOptions& options, const std::string& host, std::string_view what);

// A listener whose only endpoints are /healthz and /metrics (the sinks' and
// connectors' health ports): serves them on `listen` ("host:port"; empty:
// nothing).
class HealthServer {
 public:
  HealthServer(std::string listener, std::string what, const ServerOptions& options,
               metrics::Registry& registry);
  ~HealthServer();
  void Start(std::string_view listen);
  int port() const;

 private:
  std::unique_ptr<Server> server_;
  ServerOptions options_;
};

}  // namespace accord::http
