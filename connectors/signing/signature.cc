#include "connectors/signing/signature.h"

#include <openssl/crypto.h>

#include <algorithm>

#include "domain/util/hash.h"

namespace accord::connectors::signing {
namespace {

constexpr std::string_view kScheme = "v1=";
constexpr size_t kHexLength = 64;

std::string Expected(std::string_view secret, std::string_view method, std::string_view target,
                     std::string_view timestamp, std::string_view body) {
  std::string message;
  message.reserve(method.size() + target.size() + timestamp.size() + body.size() + 3);
  message.append(method).append("\n").append(target).append("\n").append(timestamp).append("\n");
  message.append(body);
  auto mac = HmacSha256(secret, message);
  return HexEncode(mac.data(), mac.size());
}

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

}  // namespace

std::string Sign(std::string_view secret, std::string_view method, std::string_view target,
                 std::string_view timestamp, std::string_view body) {
  return std::string(kScheme) + Expected(secret, method, target, timestamp, body);
}

std::string_view VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kValid:
      return "valid";
    case Verdict::kMissing:
      return "missing";
    case Verdict::kMalformed:
      return "malformed";
    case Verdict::kMismatch:
      return "mismatch";
    case Verdict::kStale:
      return "stale";
  }
  return "unknown";
}

Verification Verify(std::string_view secret, std::string_view method, std::string_view target,
                    const std::optional<std::string>& timestamp,
                    const std::optional<std::string>& signature, std::string_view body,
                    int64_t now_seconds) {
  if (!timestamp || !signature)
    return {Verdict::kMissing, std::string("missing ") +
                                   (!timestamp ? kTimestampHeader : kSignatureHeader) +
                                   " header: requests are signed (docs/webhook.md)"};
  const bool digits = !timestamp->empty() && timestamp->size() <= 12 &&
                      std::all_of(timestamp->begin(), timestamp->end(),
                                  [](char c) { return c >= '0' && c <= '9'; });
  if (!digits)
    return {Verdict::kMalformed,
            std::string(kTimestampHeader) + " is not a number of seconds since the epoch"};
  std::string given = signature->starts_with(kScheme) ? signature->substr(kScheme.size()) : "";
  std::transform(given.begin(), given.end(), given.begin(), [](char c) {
    return c >= 'A' && c <= 'F' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  if (given.size() != kHexLength || !std::all_of(given.begin(), given.end(), IsHex))
    return {Verdict::kMalformed,
            std::string(kSignatureHeader) + " is not \"v1=\" and 64 hex digits"};
  // Constant time: how much of a forged signature matches must not show in
  // how long the answer takes.
  const std::string expected = Expected(secret, method, target, *timestamp, body);
  if (CRYPTO_memcmp(expected.data(), given.data(), kHexLength) != 0)
    return {Verdict::kMismatch, "the signature does not match the request"};
  const int64_t age = now_seconds - std::stoll(*timestamp);
  if (age > kMaxSkewSeconds || -age > kMaxSkewSeconds)
    return {Verdict::kStale, "stale: signed " + std::to_string(age > 0 ? age : -age) + " s " +
                                 (age > 0 ? "ago" : "ahead") + ", more than " +
                                 std::to_string(kMaxSkewSeconds) + " s from this server's clock"};
  return {};
}

}  // namespace accord::connectors::signing
