#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

namespace httplib {
class Server;
struct Response;
}  // namespace httplib

namespace accord::metrics {
class Registry;
}

namespace accord::api {

// "host:port" as in project.http_listen: "127.0.0.1:8080", "[::1]:8080",
// ":8080" (every interface), port 0 for any free port.
struct ListenAddress {
  std::string host;
  int port = 0;
};
// Throws config::ConfigError naming the text when it is not host:port.
ListenAddress ParseListenAddress(std::string_view text);

// An httplib server serving on a thread of its own. Its owner sets up the
// handlers through server() before Start().
class ServerThread {
 public:
  ServerThread();
  ~ServerThread();  // Stop()s
  ServerThread(const ServerThread&) = delete;
  ServerThread& operator=(const ServerThread&) = delete;

  httplib::Server& server() { return *server_; }

  // GET /healthz answers {"status":"ok"} while the process serves, GET
  // /metrics the registry in Prometheus text format; `registry` must outlive
  // the server.
  void ServeHealthAndMetrics(const metrics::Registry& registry);

  // For a command whose only HTTP is /healthz and /metrics: serves them on
  // `listen` ("host:port", as --http-listen gives it; empty: serves
  // nothing), naming the server `what` in its log line and errors.
  void StartHealthAndMetrics(std::string_view listen, const metrics::Registry& registry,
                             std::string_view what);

  // An exception escaping a handler is answered with status 500 through
  // `answer`, given "internal error: <what it said>".
  void AnswerExceptionsWith(
      std::function<void(httplib::Response&, const std::string& what)> answer);

  // Binds and starts serving in the background; returns once requests are
  // accepted and logs "serving <what> on http://<address>". Throws
  // std::runtime_error naming `what`, the address and why when it cannot
  // bind (port in use, not a local address), followed by `hint` (how to
  // choose another address). The socket is exclusive: a second server on
  // the same port fails instead of sharing it.
  void Start(const std::string& host, int port, std::string_view what, std::string_view hint);
  // Stops accepting, finishes the requests in flight and joins the thread.
  // Safe to call more than once, or without Start().
  void Stop();

  // The port bound (the one chosen when Start() was given 0); 0 before Start().
  int port() const { return port_; }

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  bool started_ = false;
  int port_ = 0;
};

}  // namespace accord::api
