#include "services/api/http_server.h"

#include <httplib.h>

#include <memory>
#include <stdexcept>

namespace accord::api {
namespace {

void Answer(httplib::Response& res, const Response& response) {
  res.status = response.status;
  res.set_content(response.body, response.content_type.c_str());
}

bool IsGet(const httplib::Request& req) {
  return req.method == "GET" || req.method == "HEAD";
}

std::string StatusText(int status) {
  switch (status) {
    case 400:
      return "bad request";
    case 404:
      return "not found";
    case 413:
      return "payload too large";
    case 414:
      return "URI too long";
    case 416:
      return "range not satisfiable";
    default:
      return "HTTP status " + std::to_string(status);
  }
}

}  // namespace

HttpServer::HttpServer(const store::Store& store, std::function<bool()> ready,
                       const metrics::Registry& registry)
    : routes_(store, std::move(ready), registry) {}

HttpServer::~HttpServer() {
  Stop();
}

void HttpServer::AcceptSnapshots(std::function<Response(const std::string& body)> take) {
  take_snapshot_ = std::move(take);
}

void HttpServer::Start(const std::string& host, int port) {
  if (serving_) throw std::logic_error("HttpServer::Start called twice");
  auto serving = std::make_unique<ServerThread>();
  auto& server = serving->server();
  // GET and HEAD are answered before httplib's own (regex) routing.
  server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!IsGet(req)) return httplib::Server::HandlerResponse::Unhandled;
    Answer(res, routes_.Get(req.path, req.params));
    return httplib::Server::HandlerResponse::Handled;
  });
  if (take_snapshot_)
    server.Post("/v1/snapshots", [this](const httplib::Request& req, httplib::Response& res) {
      Answer(res, take_snapshot_(req.body));
    });
  // Other methods find no handler (after httplib has read their body, so the
  // connection stays usable) and end here, as do httplib's own errors.
  server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 404 && !IsGet(req)) {
      Answer(res, Routes::MethodNotAllowed(req.method));
      res.set_header("Allow", "GET, HEAD");
      return;
    }
    Answer(res, Routes::Error(res.status, StatusText(res.status)));
  });
  serving->AnswerExceptionsWith([](httplib::Response& res, const std::string& what) {
    Answer(res, Routes::Error(500, what));
  });
  serving->Start(host, port, "the HTTP API",
                 "choose another with --http-listen or project.http_listen");
  port_ = serving->port();
  serving_ = std::move(serving);
}

void HttpServer::Stop() {
  serving_.reset();
}

}  // namespace accord::api
