#include "services/api/http_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "core/config/config.h"

namespace accord::api {
namespace {

std::string FormatAddress(const std::string& host, int port) {
  bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

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

ListenAddress ParseListenAddress(std::string_view text) {
  auto fail = [&](const std::string& why) -> ListenAddress {
    throw config::ConfigError("HTTP listen address \"" + std::string(text) + "\": " + why +
                              " (expected host:port, e.g. 127.0.0.1:8080)");
  };
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return fail("no port");
  std::string_view host = text.substr(0, colon), port = text.substr(colon + 1);
  if (host.starts_with('[') || host.ends_with(']')) {
    if (host.size() < 3 || !host.starts_with('[') || !host.ends_with(']'))
      return fail("unbalanced brackets");
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return fail("an IPv6 address goes in brackets, e.g. [::1]:8080");
  }
  int number = -1;
  bool digits = !port.empty() && port.size() <= 5 &&
                std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits) std::from_chars(port.data(), port.data() + port.size(), number);
  if (!digits || number > 65535) return fail("the port must be a number from 0 to 65535");
  return {host.empty() ? "0.0.0.0" : std::string(host), number};
}

HttpServer::HttpServer(const store::Store& store, std::function<bool()> ready,
                       const metrics::Registry& registry)
    : routes_(store, std::move(ready), registry) {}

HttpServer::~HttpServer() {
  Stop();
}

void HttpServer::Start(const std::string& host, int port) {
  if (server_) throw std::logic_error("HttpServer::Start called twice");
  auto server = std::make_unique<httplib::Server>();
  // httplib's default sets SO_REUSEPORT, which lets a second process bind the
  // same port and silently take half the requests. SO_REUSEADDR alone still
  // allows a quick restart while old connections linger in TIME_WAIT.
  server->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  // GET and HEAD are answered before httplib's own (regex) routing.
  server->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!IsGet(req)) return httplib::Server::HandlerResponse::Unhandled;
    Answer(res, routes_.Get(req.path, req.params));
    return httplib::Server::HandlerResponse::Handled;
  });
  // Other methods find no handler (after httplib has read their body, so the
  // connection stays usable) and end here, as do httplib's own errors.
  server->set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 404 && !IsGet(req)) {
      Answer(res, Routes::MethodNotAllowed(req.method));
      res.set_header("Allow", "GET, HEAD");
      return;
    }
    Answer(res, Routes::Error(res.status, StatusText(res.status)));
  });
  server->set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr error) {
        std::string what = "internal error";
        try {
          if (error) std::rethrow_exception(error);
        } catch (const std::exception& e) {
          what += std::string(": ") + e.what();
        } catch (...) {
        }
        Answer(res, Routes::Error(500, what));
      });

  const std::string address = FormatAddress(host, port);
  errno = 0;
  int bound =
      port == 0 ? server->bind_to_any_port(host) : (server->bind_to_port(host, port) ? port : -1);
  if (bound < 0) {
    int error = errno;
    std::string reason = error == EADDRINUSE
                             ? "the address is already in use (another accord project?)"
                         : error != 0 ? std::strerror(error)
                                      : "cannot bind (is the host a local address?)";
    throw std::runtime_error("cannot serve the HTTP API on " + address + ": " + reason +
                             "; choose another with --http-listen or project.http_listen");
  }
  port_ = bound;
  server_ = std::move(server);
  auto finished = std::make_shared<std::atomic<bool>>(false);
  thread_ = std::thread([server = server_.get(), finished] {
    server->listen_after_bind();
    finished->store(true);
  });
  // httplib's stop() only takes effect once the loop runs: wait for it, so a
  // Stop() right after Start() cannot be missed.
  while (!server_->is_running() && !finished->load())
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (!server_->is_running()) {
    Stop();
    throw std::runtime_error("the HTTP server on " + address + " stopped as it started");
  }
  spdlog::info("serving the HTTP API on http://{}", FormatAddress(host, port_));
}

void HttpServer::Stop() {
  if (!server_) return;
  server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

}  // namespace accord::api
