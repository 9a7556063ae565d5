#include "io/http/head.h"

#include <cctype>
#include <limits>

namespace accord::http {

namespace bhttp = boost::beast::http;

void PrepareParser(RequestParser& parser, const Limits& limits) {
  parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
  // Not boost::none: Boost 1.74 compares a Content-Length with an empty
  // limit as exceeding it.
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
}

std::optional<Refusal> HeadError(const RequestParser& parser, boost::beast::error_code error,
                                 const Limits& limits) {
  if (error == bhttp::error::header_limit)
    return Refusal{431,
                   "the request line and headers exceed " +
                       std::to_string(limits.max_header_bytes) + " bytes (http.max_header_bytes)",
                   "header_too_large"};
  if (error == bhttp::error::end_of_stream || !parser.got_some()) return std::nullopt;
  return Refusal{400, "malformed request: " + error.message(), "bad_request"};
}

std::optional<Refusal> ReadHead(const RequestParser& parser, const Limits& limits, Request& head) {
  const auto& message = parser.get();
  head.method = std::string(message.method_string());
  head.target = std::string(message.target());
  for (const auto& field : message) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    head.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  if (head.headers.size() > limits.max_header_fields)
    return Refusal{431,
                   "more than " + std::to_string(limits.max_header_fields) +
                       " header fields (http.max_header_fields)",
                   "header_too_large"};
  std::string target_error;
  auto target = ParseTarget(head.target, target_error);
  if (!target) return Refusal{400, target_error, "bad_request"};
  head.path = std::move(target->path);
  head.params = std::move(target->params);
  return std::nullopt;
}

Refusal BodyTooLarge(size_t limit) {
  return {413, "the body is larger than " + std::to_string(limit) + " bytes", "body_too_large"};
}

}  // namespace accord::http
