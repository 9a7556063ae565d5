#pragma once

#include <functional>
#include <memory>
#include <string>

#include "io/http/server.h"
#include "io/metrics/metrics.h"
#include "io/store/store.h"
#include "services/api/routes.h"

namespace accord::api {

// The projection's HTTP server: the query API, /metrics, /healthz and
// /readyz (services/api/routes.h, docs/api.md) behind the limits, checks
// and roles of http::Server (docs/security.md). It only reads: the store
// (RocksDB reads are thread-safe, so it serves while the projection
// writes), the readiness function and the metrics registry, all of which
// must outlive it.
class HttpServer {
 public:
  HttpServer(const store::Store& store, std::function<bool()> ready, metrics::Registry& registry,
             http::ServerOptions options);
  ~HttpServer();  // Stop()s
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Answers POST /v1/snapshots (admin role) with `take` (given the request
  // body), the one request that changes something: it writes a snapshot of
  // the store being served (services/snapshot). Call before Start().
  void AcceptSnapshots(std::function<Response(const std::string& body)> take);

  // Binds and starts serving in the background; returns once requests are
  // accepted. Throws std::runtime_error naming the address when it cannot
  // bind (port in use, not a local address), or when no token is configured
  // and the options do not say insecure_no_auth (http::CheckCredentials).
  void Start(const std::string& host, int port);
  // Stops accepting, finishes the requests in flight and joins the threads.
  // Safe to call more than once, or without Start().
  void Stop();

  // The port bound (the one chosen when Start() was given 0); 0 before Start().
  int port() const { return server_ ? server_->port() : 0; }

 private:
  http::Endpoint Route(const http::Request& head) const;

  Routes routes_;
  metrics::Registry& registry_;
  http::ServerOptions options_;
  std::function<Response(const std::string& body)> take_snapshot_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace accord::api
