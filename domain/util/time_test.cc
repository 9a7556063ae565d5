#include "domain/util/time.h"

#include <gtest/gtest.h>

namespace accord {
namespace {

// 2025-03-14T09:30:00Z.
constexpr int64_t kBase = 1741944600000;

TEST(ParseIsoTimestampMs, UtcWithZ) {
  EXPECT_EQ(ParseIsoTimestampMs("2025-03-14T09:30:00Z"), kBase);
  EXPECT_EQ(ParseIsoTimestampMs("2025-03-14t09:30:00z"), kBase);
  EXPECT_EQ(ParseIsoTimestampMs("1970-01-01T00:00:00Z"), 0);
}

TEST(ParseIsoTimestampMs, Offsets) {
  EXPECT_EQ(ParseIsoTimestampMs("2025-03-14T10:30:00+01:00"), kBase);
  EXPECT_EQ(ParseIsoTimestampMs("2025-03-14T10:30:00+0100"), kBase);
  EXPECT_EQ(ParseIsoTimestampMs("2025-03-14T04:00:00-05:30"), kBase);
  EXPECT_EQ(ParseIsoTimestampMs("2025-03-14T09:30:00+00:00"), kBase);
  // An offset can move the instant to another day.
  EXPECT_EQ(ParseIsoTimestampMs("2025-03-15T00:30:00+15:00"), kBase);
}

TEST(ParseIsoTimestampMs, Fractions) {
  EXPECT_EQ(ParseIsoTimestampMs("2025-03-14T09:30:00.250Z"), kBase + 250);
  EXPECT_EQ(ParseIsoTimestampMs("2025-03-14T09:30:00.5Z"), kBase + 500);
  EXPECT_EQ(ParseIsoTimestampMs("2025-03-14T09:30:00,07Z"), kBase + 70);
  // Digits past milliseconds are truncated.
  EXPECT_EQ(ParseIsoTimestampMs("2025-03-14T09:30:00.123456Z"), kBase + 123);
  EXPECT_EQ(ParseIsoTimestampMs("2025-03-14T10:30:00.250+01:00"), kBase + 250);
  EXPECT_EQ(ParseIsoTimestampMs("2025-03-14T09:30:00.Z"), std::nullopt);
}

TEST(ParseIsoTimestampMs, SpaceSeparatorAndNoOffsetMeanUtc) {
  EXPECT_EQ(ParseIsoTimestampMs("2025-03-14 09:30:00"), kBase);
  EXPECT_EQ(ParseIsoTimestampMs("2025-03-14T09:30"), kBase);
}

TEST(ParseIsoTimestampMs, DateOnlyIsMidnightUtc) {
  EXPECT_EQ(ParseIsoTimestampMs("2025-03-14"), kBase - (9 * 3600 + 30 * 60) * 1000LL);
  EXPECT_EQ(ParseIsoTimestampMs("2000-01-01"), 946684800000);
}

TEST(ParseIsoTimestampMs, LeapDays) {
  EXPECT_EQ(ParseIsoTimestampMs("2024-02-29"), 1709164800000);
  EXPECT_EQ(ParseIsoTimestampMs("2000-02-29"), 951782400000);
  EXPECT_EQ(ParseIsoTimestampMs("2023-02-29"), std::nullopt);
  EXPECT_EQ(ParseIsoTimestampMs("1900-02-29"), std::nullopt);
}

TEST(ParseIsoTimestampMs, RejectsImpossibleAndMalformed) {
  for (const char* text : {"",
                           "2025-02-31",
                           "2025-04-31",
                           "2025-13-01",
                           "2025-00-10",
                           "2025-01-00",
                           "2025-03-14T25:00:00Z",
                           "2025-03-14T24:00:00Z",
                           "2025-03-14T09:60:00Z",
                           "2025-03-14T09:30:61Z",
                           "2025-03-14T09:30:00+24:00",
                           "2025-03-14T09:30:00+01:75",
                           "2025-03-14T09:30:00 trailing",
                           "2025-3-14",
                           "25-03-14",
                           "2025/03/14",
                           "2025-03-14T",
                           "2025-03-14T9:30",
                           "2025-03-14X09:30:00",
                           "2025-03-14T09:30:00+1",
                           "not a date",
                           "2025-03-14T09:30:00ZZ"}) {
    EXPECT_EQ(ParseIsoTimestampMs(text), std::nullopt) << text;
  }
}

TEST(FormatIsoTimestampMs, Formats) {
  EXPECT_EQ(FormatIsoTimestampMs(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIsoTimestampMs(kBase + 250), "2025-03-14T09:30:00.250Z");
  EXPECT_EQ(FormatIsoTimestampMs(1709164800000), "2024-02-29T00:00:00.000Z");
  EXPECT_EQ(FormatIsoTimestampMs(-1), "1969-12-31T23:59:59.999Z");
}

TEST(FormatIsoTimestampMs, RoundTrips) {
  for (int64_t ms : {int64_t{0}, int64_t{-1}, int64_t{-86400001}, kBase, kBase + 999,
                     int64_t{951782400000}, int64_t{4102444799999}, int64_t{-2208988800000}}) {
    auto parsed = ParseIsoTimestampMs(FormatIsoTimestampMs(ms));
    ASSERT_TRUE(parsed.has_value()) << FormatIsoTimestampMs(ms);
    EXPECT_EQ(*parsed, ms) << FormatIsoTimestampMs(ms);
  }
  for (const char* text :
       {"2025-03-14T09:30:00.250Z", "2024-02-29T23:59:59.999Z", "1999-12-31T00:00:00.000Z"}) {
    EXPECT_EQ(FormatIsoTimestampMs(*ParseIsoTimestampMs(text)), text);
  }
}

}  // namespace
}  // namespace accord
