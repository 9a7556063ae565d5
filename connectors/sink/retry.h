#pragma once

#include <chrono>
#include <optional>
#include <random>
#include <string_view>

namespace accord::connectors::sink {

// How a sink retries a delivery the receiver did not take.
struct RetryPolicy {
  // Attempts in all, the first included; then the event is dead-lettered.
  int max_attempts = 8;
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{30'000};
};

enum class Answer {
  kDelivered,   // 2xx
  kRetry,       // 408, 429, 5xx, or no answer (timeout, refused connection)
  kDeadLetter,  // any other status: sending it again would not help
};

// `status` 0 stands for no answer.
Answer Classify(int status);

// The wait before retry number `retry` (1 for the second attempt): a random
// time up to initial_backoff * 2^(retry-1), capped at max_backoff ("full
// jitter", so that many sinks do not retry in step), and never less than
// what the receiver asked for with Retry-After.
std::chrono::milliseconds Backoff(const RetryPolicy& policy, int retry,
                                  std::optional<std::chrono::milliseconds> retry_after,
                                  std::mt19937_64& random);

// A receiver asking for a longer wait gets this one: a sink does not stall
// for days on one answer.
inline constexpr std::chrono::seconds kLongestRetryAfter{24 * 3600};

// A Retry-After header: delay-seconds ("120") or an HTTP-date
// ("Wed, 21 Oct 2015 07:28:00 GMT", relative to `now`), at most
// kLongestRetryAfter; nullopt when it is neither.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value,
                                                         std::chrono::system_clock::time_point now);

}  // namespace accord::connectors::sink
