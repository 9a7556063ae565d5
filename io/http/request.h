#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace accord::http {

// Query parameters, URL-decoded.
using Params = std::multimap<std::string, std::string>;

// One request as a handler sees it, independent of the HTTP library.
struct Request {
  std::string method;
  // The path and query as sent on the request line (what signatures cover).
  std::string target;
  // The URL-decoded path, without the query.
  std::string path;
  Params params;
  // Field names in lower case, values as sent, in order.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // "address:port" of the peer.
  std::string remote;
  // The authenticated principal's name; empty when the endpoint is open.
  std::string principal;

  // The first value of header `name` (case-insensitive).
  std::optional<std::string_view> Header(std::string_view name) const;
  // The first value of query parameter `name`.
  std::optional<std::string_view> Param(std::string_view name) const;
};

// One answer.
struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// {"error": message} with `status`.
Response ErrorResponse(int status, std::string_view message);

// A request target split into its decoded path and parameters; nullopt with
// `error` set when it is not an origin-form target ("/path?query") or its
// percent-encoding is broken or decodes to a NUL byte.
struct Target {
  std::string path;
  Params params;
};
std::optional<Target> ParseTarget(std::string_view target, std::string& error);

// Percent-decoding; '+' is a space only in query components. nullopt for a
// broken escape or a NUL byte.
std::optional<std::string> UrlDecode(std::string_view text, bool query_component);

}  // namespace accord::http
