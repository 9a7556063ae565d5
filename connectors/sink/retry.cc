#include "connectors/sink/retry.h"

#include <algorithm>
#include <ctime>
#include <string>

namespace accord::connectors::sink {

Answer Classify(int status) {
  if (status >= 200 && status < 300) return Answer::kDelivered;
  if (status == 0 || status == 408 || status == 429 || status >= 500) return Answer::kRetry;
  return Answer::kDeadLetter;
}

std::chrono::milliseconds Backoff(const RetryPolicy& policy, int retry,
                                  std::optional<std::chrono::milliseconds> retry_after,
                                  std::mt19937_64& random) {
  auto ceiling = policy.initial_backoff;
  for (int i = 1; i < retry && ceiling < policy.max_backoff; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, policy.max_backoff);
  std::uniform_int_distribution<int64_t> jitter(0, ceiling.count());
  std::chrono::milliseconds wait(jitter(random));
  if (retry_after && *retry_after > wait) wait = *retry_after;
  return wait;
}

std::optional<std::chrono::milliseconds> ParseRetryAfter(
    std::string_view value, std::chrono::system_clock::time_point now) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty() || value.find('\0') != std::string_view::npos) return std::nullopt;
  if (value.find_first_not_of("0123456789") == std::string_view::npos) {
    if (value.size() > 9) return std::nullopt;
    return std::chrono::seconds(
        std::min<int64_t>(std::stoll(std::string(value)), kLongestRetryAfter.count()));
  }
  std::tm parts{};
  const std::string text(value);
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &parts);
  if (end == nullptr || *end != '\0') return std::nullopt;
  // In whole seconds of time_t: a date centuries ahead must not overflow.
  const int64_t ahead = static_cast<int64_t>(timegm(&parts)) -
                        static_cast<int64_t>(std::chrono::system_clock::to_time_t(now));
  return std::chrono::seconds(std::clamp<int64_t>(ahead, 0, kLongestRetryAfter.count()));
}

}  // namespace accord::connectors::sink
