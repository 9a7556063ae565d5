#include "io/http/guard.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>

namespace accord::http {
namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::array<unsigned char, 32> Digest(std::string_view text) {
  std::array<unsigned char, 32> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  return digest;
}

}  // namespace

std::string_view AccessName(Access access) {
  switch (access) {
    case Access::kOpen:
      return "open";
    case Access::kAggregate:
      return "aggregate";
    case Access::kRead:
      return "read";
    case Access::kAdmin:
      return "admin";
  }
  return "unknown";
}

std::optional<Access> ParseAccess(std::string_view name) {
  for (Access access : {Access::kOpen, Access::kAggregate, Access::kRead, Access::kAdmin})
    if (name == AccessName(access)) return access;
  return std::nullopt;
}

std::string TokenVariable(std::string_view principal) {
  std::string variable = "ACCORD_HTTP_TOKEN_";
  for (char c : principal)
    variable += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return variable;
}

bool IsStateChanging(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

std::optional<std::string> HostName(std::string_view host_header) {
  host_header = Trim(host_header);
  if (host_header.empty()) return std::nullopt;
  std::string_view host = host_header, port;
  if (host_header.front() == '[') {
    const auto close = host_header.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = host_header.substr(1, close - 1);
    std::string_view rest = host_header.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
    }
    if (host.empty() || !IsIpLiteral(host) || host.find(':') == std::string_view::npos)
      return std::nullopt;
  } else {
    const auto colon = host_header.find(':');
    if (colon != std::string_view::npos) {
      host = host_header.substr(0, colon);
      port = host_header.substr(colon + 1);
      if (port.empty()) return std::nullopt;
    }
    if (host.empty()) return std::nullopt;
    const bool name_chars = std::all_of(host.begin(), host.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
    });
    if (!name_chars) return std::nullopt;
  }
  if (port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return Lower(host);
}

bool IsIpLiteral(std::string_view host) {
  const std::string text(host);
  unsigned char buffer[16];
  return inet_pton(AF_INET, text.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

Guard::Guard(const ServerOptions& options) : insecure_(options.insecure_no_auth) {
  for (const auto& host : options.allowed_hosts) allowed_hosts_.push_back(Lower(host));
  for (const auto& origin : options.allowed_origins) allowed_origins_.push_back(Lower(origin));
  // A principal without a token can never be matched (CheckCredentials
  // refuses to serve with one).
  for (const auto& principal : options.principals)
    if (!principal.token.empty())
      holders_.push_back({principal.name, principal.role, Digest(principal.token)});
}

std::optional<Refusal> Guard::CheckHost(std::optional<std::string_view> host) const {
  if (!host) return Refusal{400, "the request has no Host header", "bad_host"};
  auto name = HostName(*host);
  if (!name) return Refusal{400, "malformed Host header", "bad_host"};
  if (IsIpLiteral(*name) || *name == "localhost" ||
      std::find(allowed_hosts_.begin(), allowed_hosts_.end(), *name) != allowed_hosts_.end())
    return std::nullopt;
  return Refusal{421,
                 "host \"" + *name +
                     "\" is not served here; add it to http.allowed_hosts if it is this server's "
                     "name",
                 "bad_host"};
}

std::optional<Refusal> Guard::CheckStateChange(std::string_view method,
                                               std::optional<std::string_view> origin,
                                               std::optional<std::string_view> content_type) const {
  if (!IsStateChanging(method)) return std::nullopt;
  if (origin && std::find(allowed_origins_.begin(), allowed_origins_.end(), Lower(Trim(*origin))) ==
                    allowed_origins_.end())
    return Refusal{403,
                   "origin \"" + std::string(Trim(*origin)) + "\" may not send " +
                       std::string(method) +
                       " requests; add it to http.allowed_origins if it should",
                   "bad_origin"};
  std::string_view media = content_type.value_or("");
  media = Trim(media.substr(0, media.find(';')));
  if (Lower(media) != "application/json")
    return Refusal{
        415,
        std::string(method) + " takes Content-Type application/json" +
            (media.empty() ? std::string(", none was given") : ", not " + std::string(media)),
        "unsupported_media_type"};
  return std::nullopt;
}

std::optional<Refusal> Guard::Authorize(Access required,
                                        std::optional<std::string_view> authorization,
                                        std::string& principal) const {
  principal.clear();
  if (required == Access::kOpen) return std::nullopt;
  if (insecure_) {
    principal = "anonymous";
    return std::nullopt;
  }
  constexpr std::string_view kScheme = "bearer ";
  std::string_view value = Trim(authorization.value_or(""));
  if (value.size() <= kScheme.size() || Lower(value.substr(0, kScheme.size())) != kScheme)
    return Refusal{401, "this endpoint needs a bearer token (Authorization: Bearer <token>)",
                   "unauthenticated"};
  const auto digest = Digest(Trim(value.substr(kScheme.size())));
  const Holder* match = nullptr;
  // Every holder is compared, so the time taken does not tell which token
  // came close.
  for (const auto& holder : holders_)
    if (CRYPTO_memcmp(holder.digest.data(), digest.data(), digest.size()) == 0) match = &holder;
  if (!match) return Refusal{401, "the bearer token is not valid here", "unauthenticated"};
  principal = match->name;
  if (match->role < required)
    return Refusal{403,
                   "principal \"" + match->name + "\" has role " +
                       std::string(AccessName(match->role)) + "; this endpoint needs " +
                       std::string(AccessName(required)),
                   "forbidden"};
  return std::nullopt;
}

}  // namespace accord::http
