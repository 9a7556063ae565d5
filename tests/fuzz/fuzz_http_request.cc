// libFuzzer target: arbitrary bytes as what a client sends to any Accord
// listener, read the way a connection reads them (io/http/head.h): the
// head under the header limits, then the guard's checks, then the body under
// an endpoint's limit. Contracts, beyond no crash or sanitizer report:
//   - no head is accepted that exceeds the header size or field limits;
//   - no body larger than its limit is ever held;
//   - a granted request names a principal of at least the role it needs;
//   - every refusal has a status from 400 to 431 and a reason.

#include <boost/beast/core.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "io/http/guard.h"
#include "io/http/head.h"

namespace {

namespace http = accord::http;

constexpr size_t kBodyLimit = 256;

const http::ServerOptions& Options() {
  static const http::ServerOptions options = [] {
    http::ServerOptions built;
    built.limits.max_header_bytes = 1024;
    built.limits.max_header_fields = 16;
    built.allowed_hosts = {"accord.example"};
    built.allowed_origins = {"https://ops.example"};
    built.principals = {{"dashboard", http::Access::kAggregate, "dashboard-token-0123"},
                        {"ops", http::Access::kAdmin, "ops-token-0123456789"}};
    return built;
  }();
  return options;
}

void Check(bool condition) {
  if (!condition) std::abort();
}

void CheckRefusal(const std::optional<http::Refusal>& refusal) {
  if (refusal) Check(refusal->status >= 400 && refusal->status <= 431 && !refusal->reason.empty());
}

// Feeds `bytes` to the parser as a socket would, a few bytes at a time,
// until it has the head (or the whole message); returns how many it took.
size_t Feed(http::RequestParser& parser, std::string_view bytes, boost::beast::error_code& error,
            bool header_only) {
  namespace bhttp = boost::beast::http;
  size_t used = 0, end = 0, taken = 0;
  parser.eager(!header_only);
  while (!(header_only ? parser.is_header_done() : parser.is_done())) {
    if (used == end || taken == 0) {
      if (end == bytes.size()) break;
      end = std::min(bytes.size(), end + 7 + end % 13);
    }
    error = {};
    taken = parser.put(boost::asio::buffer(bytes.data() + used, end - used), error);
    used += taken;
    if (error && error != bhttp::error::need_more) return used;
  }
  if (error == bhttp::error::need_more) error = {};
  return used;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto& options = Options();
  static const http::Guard guard(options);

  http::RequestParser parser;
  http::PrepareParser(parser, options.limits);
  boost::beast::error_code error;
  const size_t head_bytes = Feed(parser, bytes, error, /*header_only=*/true);
  if (error) {
    CheckRefusal(http::HeadError(parser, error, options.limits));
    return 0;
  }
  if (!parser.is_header_done()) return 0;
  Check(head_bytes <= options.limits.max_header_bytes);

  http::Request head;
  auto refusal = http::ReadHead(parser, options.limits, head);
  CheckRefusal(refusal);
  if (refusal) return 0;
  Check(head.headers.size() <= options.limits.max_header_fields);
  Check(!head.path.empty() && head.path.front() == '/');
  Check(head.path.find('\0') == std::string::npos);

  CheckRefusal(guard.CheckHost(head.Header("host")));
  CheckRefusal(
      guard.CheckStateChange(head.method, head.Header("origin"), head.Header("content-type")));
  for (auto required :
       {http::Access::kOpen, http::Access::kAggregate, http::Access::kRead, http::Access::kAdmin}) {
    std::string principal;
    auto denied = guard.Authorize(required, head.Header("authorization"), principal);
    CheckRefusal(denied);
    if (!denied && required != http::Access::kOpen) {
      bool strong_enough = false;
      for (const auto& holder : options.principals)
        strong_enough |= holder.name == principal && holder.role >= required;
      Check(strong_enough);
    }
  }

  if (parser.is_done()) return 0;
  if (auto length = parser.content_length(); length && *length > kBodyLimit) return 0;
  parser.body_limit(kBodyLimit);
  Feed(parser, bytes.substr(head_bytes), error, /*header_only=*/false);
  Check(parser.get().body().size() <= kBodyLimit);
  if (error == boost::beast::http::error::body_limit) CheckRefusal(http::BodyTooLarge(kBodyLimit));
  return 0;
}
