#include "services/api/http_server.h"

#include <stdexcept>

namespace accord::api {
namespace {

constexpr char kSnapshotsPath[] = "/v1/snapshots";

bool IsGet(const http::Request& head) {
  return head.method == "GET" || head.method == "HEAD";
}

}  // namespace

HttpServer::HttpServer(const store::Store& store, std::function<bool()> ready,
                       metrics::Registry& registry, http::ServerOptions options)
    : routes_(store, std::move(ready), registry),
      registry_(registry),
      options_(std::move(options)) {}

HttpServer::~HttpServer() {
  Stop();
}

void HttpServer::AcceptSnapshots(std::function<Response(const std::string& body)> take) {
  take_snapshot_ = std::move(take);
}

http::Endpoint HttpServer::Route(const http::Request& head) const {
  if (head.path == kSnapshotsPath && take_snapshot_) {
    if (head.method != "POST") return http::MethodNotAllowed(head, "POST", http::Access::kAdmin);
    http::Endpoint endpoint;
    endpoint.access = http::Access::kAdmin;
    // A snapshot is a copy of every person's data: who asked for one is
    // the auditors' business.
    endpoint.personal = true;
    endpoint.max_body_bytes = 64 * 1024;
    endpoint.answer = [this](const http::Request& request) { return take_snapshot_(request.body); };
    return endpoint;
  }
  const auto kind = Routes::Classify(head.path);
  http::Endpoint endpoint;
  endpoint.access = kind.access;
  if (head.path == "/metrics") endpoint.access = options_.metrics_access;
  if (!IsGet(head)) return http::MethodNotAllowed(head, "GET, HEAD", endpoint.access);
  endpoint.probe = kind.probe;
  endpoint.personal = kind.access == http::Access::kRead;
  endpoint.answer = [this](const http::Request& request) {
    return routes_.Get(request.path, request.params);
  };
  return endpoint;
}

void HttpServer::Start(const std::string& host, int port) {
  if (server_) throw std::logic_error("HttpServer::Start called twice");
  const std::string what = "the HTTP API";
  http::CheckCredentials(options_, host, what);
  server_ = std::make_unique<http::Server>(
      "api", what, options_, [this](const http::Request& head) { return Route(head); }, registry_);
  server_->Start(host, port, "choose another with --http-listen or the section's http_listen");
}

void HttpServer::Stop() {
  if (server_) server_->Stop();
}

}  // namespace accord::api
