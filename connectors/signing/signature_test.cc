#include "connectors/signing/signature.h"

#include <gtest/gtest.h>

namespace accord::connectors::signing {
namespace {

constexpr char kSecret[] = "s3cret";
constexpr char kTarget[] = "/v1/hooks/changes?source=crm";
constexpr char kBody[] = R"([{"eventId":1}])";
constexpr int64_t kSignedAt = 1735689600;

Verification Check(const std::optional<std::string>& timestamp,
                   const std::optional<std::string>& signature, int64_t now = kSignedAt,
                   std::string_view body = kBody, std::string_view target = kTarget) {
  return Verify(kSecret, "POST", target, timestamp, signature, body, now);
}

std::string Good() {
  return Sign(kSecret, "POST", kTarget, std::to_string(kSignedAt), kBody);
}

TEST(Signature, MatchesTheDocumentedOpensslRecipe) {
  // docs/webhook.md:  printf 'POST\n%s\n%s\n%s' "$target" "$ts" "$body" |
  //                   openssl dgst -sha256 -hmac "$secret"
  EXPECT_EQ(Sign(kSecret, "POST", kTarget, "1735689600", "[]"),
            "v1=b5f4f80a9802defd2dc7f9fe0ced79827b8868ac4811432bd8046f6e55cb1d7a");
}

TEST(Signature, AcceptsAGoodSignatureInEitherCase) {
  EXPECT_EQ(Check(std::to_string(kSignedAt), Good()).verdict, Verdict::kValid);
  std::string upper = Good();
  for (size_t i = 3; i < upper.size(); ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
  EXPECT_EQ(Check(std::to_string(kSignedAt), upper).verdict, Verdict::kValid);
}

TEST(Signature, CoversMethodTargetTimestampAndBody) {
  const std::string ts = std::to_string(kSignedAt);
  EXPECT_EQ(Verify(kSecret, "PUT", kTarget, ts, Good(), kBody, kSignedAt).verdict,
            Verdict::kMismatch);
  EXPECT_EQ(Check(ts, Good(), kSignedAt, kBody, "/v1/hooks/changes?source=marketing").verdict,
            Verdict::kMismatch);
  EXPECT_EQ(Check(std::to_string(kSignedAt + 1), Good(), kSignedAt).verdict, Verdict::kMismatch);
  EXPECT_EQ(Check(ts, Good(), kSignedAt, R"([{"eventId":2}])").verdict, Verdict::kMismatch);
  EXPECT_EQ(Verify("other", "POST", kTarget, ts, Good(), kBody, kSignedAt).verdict,
            Verdict::kMismatch);
}

TEST(Signature, EveryDigitCounts) {
  // The comparison runs over all 64 digits (CRYPTO_memcmp): a forgery that
  // differs only in its first or only in its last digit is refused alike.
  const std::string ts = std::to_string(kSignedAt);
  for (size_t position : {size_t{3}, size_t{34}, Good().size() - 1}) {
    std::string forged = Good();
    forged[position] = forged[position] == '0' ? '1' : '0';
    auto check = Check(ts, forged);
    EXPECT_EQ(check.verdict, Verdict::kMismatch) << position;
    EXPECT_EQ(check.reason, "the signature does not match the request");
  }
}

TEST(Signature, StaleAndFutureTimestampsAreRefused) {
  const std::string ts = std::to_string(kSignedAt);
  EXPECT_EQ(Check(ts, Good(), kSignedAt + kMaxSkewSeconds).verdict, Verdict::kValid);
  EXPECT_EQ(Check(ts, Good(), kSignedAt - kMaxSkewSeconds).verdict, Verdict::kValid);
  auto old = Check(ts, Good(), kSignedAt + kMaxSkewSeconds + 1);
  EXPECT_EQ(old.verdict, Verdict::kStale);
  EXPECT_NE(old.reason.find("stale: signed 301 s ago"), std::string::npos) << old.reason;
  auto ahead = Check(ts, Good(), kSignedAt - 3600);
  EXPECT_EQ(ahead.verdict, Verdict::kStale);
  EXPECT_NE(ahead.reason.find("3600 s ahead"), std::string::npos) << ahead.reason;
}

TEST(Signature, MissingHeadersAreNamed) {
  auto no_timestamp = Check(std::nullopt, Good());
  EXPECT_EQ(no_timestamp.verdict, Verdict::kMissing);
  EXPECT_NE(no_timestamp.reason.find("X-Accord-Timestamp"), std::string::npos);
  auto no_signature = Check(std::to_string(kSignedAt), std::nullopt);
  EXPECT_EQ(no_signature.verdict, Verdict::kMissing);
  EXPECT_NE(no_signature.reason.find("X-Accord-Signature"), std::string::npos);
}

TEST(Signature, MalformedHeadersAreRefusedBeforeAnyComparison) {
  for (const char* ts : {"", "abc", "-5", "1.7e9", "1735689600 ", "9999999999999"})
    EXPECT_EQ(Check(ts, Good()).verdict, Verdict::kMalformed) << ts;
  const std::string ts = std::to_string(kSignedAt);
  const std::string hex = Good().substr(3);
  for (const std::string& signature : {hex, "v2=" + hex, "v1=" + hex.substr(1), "v1=" + hex + "0",
                                       "v1=" + hex.substr(1) + "g", std::string("v1=")})
    EXPECT_EQ(Check(ts, signature).verdict, Verdict::kMalformed) << signature;
}

TEST(Signature, VerdictNamesAreMetricLabels) {
  EXPECT_EQ(VerdictName(Verdict::kMissing), "missing");
  EXPECT_EQ(VerdictName(Verdict::kMalformed), "malformed");
  EXPECT_EQ(VerdictName(Verdict::kMismatch), "mismatch");
  EXPECT_EQ(VerdictName(Verdict::kStale), "stale");
}

}  // namespace
}  // namespace accord::connectors::signing
