#include "connectors/sink/retry.h"

#include <gtest/gtest.h>

namespace accord::connectors::sink {
namespace {

using std::chrono::milliseconds;

TEST(Classify, WhatIsWorthAnotherAttempt) {
  for (int status : {200, 201, 202, 204}) EXPECT_EQ(Classify(status), Answer::kDelivered) << status;
  for (int status : {0, 408, 429, 500, 502, 503, 504})
    EXPECT_EQ(Classify(status), Answer::kRetry) << status;
  for (int status : {301, 400, 401, 403, 404, 409, 413, 422})
    EXPECT_EQ(Classify(status), Answer::kDeadLetter) << status;
}

TEST(Backoff, GrowsWithFullJitterUpToTheCap) {
  RetryPolicy policy{
      .max_attempts = 10, .initial_backoff = milliseconds(100), .max_backoff = milliseconds(1000)};
  std::mt19937_64 random(7);
  for (int retry = 1; retry <= 8; ++retry) {
    const int64_t ceiling = std::min<int64_t>(1000, 100LL << (retry - 1));
    int64_t longest = 0;
    for (int i = 0; i < 2000; ++i) {
      auto wait = Backoff(policy, retry, std::nullopt, random).count();
      ASSERT_GE(wait, 0);
      ASSERT_LE(wait, ceiling) << "retry " << retry;
      longest = std::max(longest, wait);
    }
    // Jitter spreads the waits over the whole range.
    EXPECT_GT(longest, ceiling * 9 / 10) << "retry " << retry;
  }
}

TEST(Backoff, NeverShorterThanRetryAfter) {
  RetryPolicy policy;
  std::mt19937_64 random(7);
  for (int i = 0; i < 100; ++i)
    EXPECT_GE(Backoff(policy, 1, milliseconds(5000), random), milliseconds(5000));
}

TEST(ParseRetryAfter, SecondsOrHttpDate) {
  const auto now = std::chrono::system_clock::from_time_t(1445412480);  // 2015-10-21T07:28:00Z
  EXPECT_EQ(ParseRetryAfter("120", now), milliseconds(120'000));
  EXPECT_EQ(ParseRetryAfter(" 0 ", now), milliseconds(0));
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:30 GMT", now), milliseconds(30'000));
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:00:00 GMT", now), milliseconds(0));
  EXPECT_EQ(ParseRetryAfter("999999999", now), kLongestRetryAfter);
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 5722 07:28:00 GMT", now), kLongestRetryAfter);
  for (const char* junk : {"", "soon", "-5", "1.5", "9999999999", "Wed, 21 Oct 2015"})
    EXPECT_EQ(ParseRetryAfter(junk, now), std::nullopt) << junk;
}

}  // namespace
}  // namespace accord::connectors::sink
