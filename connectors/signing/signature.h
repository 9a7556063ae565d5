#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace accord::connectors::signing {

// Accord's request signature, the one scheme both directions use: `accord
// webhook` verifies it on every request to a hook, and the sinks sign what
// they deliver with it, so a receiver of Accord's deliveries can check them
// as Accord checks its senders. Every signed request carries these two
// headers (docs/webhook.md):
//   X-Accord-Timestamp: <seconds since the epoch>
//   X-Accord-Signature: v1=<hex HMAC-SHA256>
// The HMAC is keyed with the shared secret and covers
//   METHOD "\n" PATH-WITH-QUERY "\n" TIMESTAMP "\n" BODY
// with the path and query exactly as sent on the request line.
inline constexpr char kTimestampHeader[] = "X-Accord-Timestamp";
inline constexpr char kSignatureHeader[] = "X-Accord-Signature";

// A request signed longer ago than this (or this far ahead) is refused, so a
// captured request cannot be replayed later.
inline constexpr int64_t kMaxSkewSeconds = 300;

// The X-Accord-Signature value for a request.
std::string Sign(std::string_view secret, std::string_view method, std::string_view target,
                 std::string_view timestamp, std::string_view body);

enum class Verdict { kValid, kMissing, kMalformed, kMismatch, kStale };
// "valid", "missing", "malformed", "mismatch", "stale": the metrics label.
std::string_view VerdictName(Verdict verdict);

struct Verification {
  Verdict verdict = Verdict::kValid;
  std::string reason;  // for the 401 answer; "" when valid
};

// Checks a request's headers (nullopt: absent) against the secret, at
// `now_seconds`. The signature is compared in constant time.
Verification Verify(std::string_view secret, std::string_view method, std::string_view target,
                    const std::optional<std::string>& timestamp,
                    const std::optional<std::string>& signature, std::string_view body,
                    int64_t now_seconds);

}  // namespace accord::connectors::signing
