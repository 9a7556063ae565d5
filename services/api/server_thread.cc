#include "services/api/server_thread.h"

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include "core/config/config.h"
#include "core/metrics/metrics.h"

namespace accord::api {
namespace {

std::string FormatAddress(const std::string& host, int port) {
  bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
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

ServerThread::ServerThread() : server_(std::make_unique<httplib::Server>()) {
  // httplib's default sets SO_REUSEPORT, which lets a second process bind the
  // same port and silently take half the requests. SO_REUSEADDR alone still
  // allows a quick restart while old connections linger in TIME_WAIT.
  server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
}

ServerThread::~ServerThread() {
  Stop();
}

void ServerThread::Start(const std::string& host, int port, std::string_view what,
                         std::string_view hint) {
  if (started_) throw std::logic_error("ServerThread::Start called twice");
  started_ = true;
  const std::string address = FormatAddress(host, port);
  errno = 0;
  int bound =
      port == 0 ? server_->bind_to_any_port(host) : (server_->bind_to_port(host, port) ? port : -1);
  if (bound < 0) {
    int error = errno;
    std::string reason = error == EADDRINUSE ? "the address is already in use"
                         : error != 0        ? std::strerror(error)
                                             : "cannot bind (is the host a local address?)";
    throw std::runtime_error("cannot serve " + std::string(what) + " on " + address + ": " +
                             reason + "; " + std::string(hint));
  }
  port_ = bound;
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
    throw std::runtime_error(std::string(what) + " on " + address + " stopped as it started");
  }
  spdlog::info("serving {} on http://{}", what, FormatAddress(host, port_));
}

void ServerThread::StartHealthAndMetrics(std::string_view listen, const metrics::Registry& registry,
                                         std::string_view what) {
  if (listen.empty()) return;
  auto address = ParseListenAddress(listen);
  ServeHealthAndMetrics(registry);
  Start(address.host, address.port, what, "choose another with --http-listen");
}

void ServerThread::ServeHealthAndMetrics(const metrics::Registry& registry) {
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"status":"ok"})", "application/json");
  });
  server_->Get("/metrics", [&registry](const httplib::Request&, httplib::Response& res) {
    res.set_content(registry.RenderText(), "text/plain; version=0.0.4");
  });
}

void ServerThread::AnswerExceptionsWith(
    std::function<void(httplib::Response&, const std::string& what)> answer) {
  server_->set_exception_handler([answer = std::move(answer)](const httplib::Request&,
                                                              httplib::Response& res,
                                                              std::exception_ptr error) {
    std::string what = "internal error";
    try {
      if (error) std::rethrow_exception(error);
    } catch (const std::exception& e) {
      what += std::string(": ") + e.what();
    } catch (...) {
    }
    res.status = 500;
    answer(res, what);
  });
}

void ServerThread::Stop() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace accord::api
