#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/http/options.h"

namespace accord::http {

// Why a request was turned away before it reached its handler: the status,
// a message for the client, and a reason label for the refusal counter.
struct Refusal {
  int status = 0;
  std::string message;
  std::string reason;
};

// The checks every listener makes on a request's head, before its body is
// read (docs/security.md). Pure: no I/O, no clock.
class Guard {
 public:
  explicit Guard(const ServerOptions& options);

  // Host must be an IP literal, localhost, or a configured name: a browser
  // tricked by DNS rebinding sends the attacker's name.
  std::optional<Refusal> CheckHost(std::optional<std::string_view> host) const;

  // A state-changing method (anything but GET, HEAD, OPTIONS) from a browser
  // page of another origin is refused, and its body must be of a type a
  // page cannot send without asking first (CORS preflight): application/json.
  std::optional<Refusal> CheckStateChange(std::string_view method,
                                          std::optional<std::string_view> origin,
                                          std::optional<std::string_view> content_type) const;

  // Whether `authorization` ("Bearer <token>") names a principal whose role
  // is at least `required`; on success `principal` is its name. Tokens are
  // compared in constant time, each against every principal's.
  std::optional<Refusal> Authorize(Access required, std::optional<std::string_view> authorization,
                                   std::string& principal) const;

  bool insecure() const { return insecure_; }

 private:
  struct Holder {
    std::string name;
    Access role;
    std::array<unsigned char, 32> digest;
  };
  std::vector<std::string> allowed_hosts_;
  std::vector<std::string> allowed_origins_;
  std::vector<Holder> holders_;
  bool insecure_ = false;
};

bool IsStateChanging(std::string_view method);

// The host part of a Host header value, lower-cased: "example.com" of
// "Example.COM:8080", "::1" of "[::1]:8080"; nullopt when malformed.
std::optional<std::string> HostName(std::string_view host_header);

// Whether `host` (as HostName gives it) is an IPv4 or IPv6 literal.
bool IsIpLiteral(std::string_view host);

}  // namespace accord::http
