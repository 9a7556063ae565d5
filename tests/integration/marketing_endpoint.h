#pragma once

#include <httplib.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>

namespace accord::testing {

// A marketing tool's endpoint for the HTTP sink on 127.0.0.1: answers the
// first `failures` requests with 500, refuses events about
// `refused_customer_key` with 422, and takes the rest once per
// Idempotency-Key (a repeated key is answered 200 and not taken again).
class MarketingEndpoint {
 public:
  explicit MarketingEndpoint(int failures, std::string refused_customer_key = "")
      : failures_(failures), refused_(std::move(refused_customer_key)) {
    server_.Post("/accord", [this](const httplib::Request& request, httplib::Response& response) {
      std::lock_guard lock(mutex_);
      if (++requests_ <= failures_) {
        response.status = 500;
        return;
      }
      if (!refused_.empty() && nlohmann::json::parse(request.body)["customer_key"] == refused_) {
        response.status = 422;
        response.set_content("no such contact", "text/plain");
        return;
      }
      taken_.insert(request.get_header_value("Idempotency-Key"));
      response.status = 200;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
  }
  ~MarketingEndpoint() {
    server_.stop();
    thread_.join();
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/accord"; }
  int Requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  std::set<std::string> Taken() {
    std::lock_guard lock(mutex_);
    return taken_;
  }

 private:
  const int failures_;
  const std::string refused_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  int requests_ = 0;
  std::set<std::string> taken_;
};

}  // namespace accord::testing
