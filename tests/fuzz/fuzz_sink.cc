// libFuzzer target: what a sink reads from outside. With a first byte 'R',
// the rest is a receiver's Retry-After header; otherwise the input is a
// message value on the feedback topic, rendered as the JSON body.
//
// Checks beyond "no crash, no leak, no undefined behaviour": a parsed
// Retry-After is never negative, and the wait it leads to is at least it;
// every body is JSON naming the event's id.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "connectors/sink/body.h"
#include "connectors/sink/retry.h"
#include "domain/events/envelope.h"

namespace {

namespace sink = accord::connectors::sink;

void Fail(const char* what) {
  std::fprintf(stderr, "contract broken: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (!input.empty() && input.front() == 'R') {
    const auto now = std::chrono::system_clock::from_time_t(1741944600);
    auto wait = sink::ParseRetryAfter(input.substr(1), now);
    if (wait && wait->count() < 0) Fail("negative Retry-After");
    std::mt19937_64 random(size);
    if (wait && sink::Backoff(sink::RetryPolicy{}, 3, wait, random) < *wait)
      Fail("a retry earlier than Retry-After");
    return 0;
  }
  accord::v1::Event event;
  if (accord::events::DecodeEvent(input, event).error != accord::events::DecodeError::kNone)
    return 0;
  auto body = nlohmann::json::parse(sink::FeedbackJson(event), nullptr, false);
  if (body.is_discarded()) Fail("the body is not JSON");
  if (body["id"] != event.event_id()) Fail("the body does not name the event");
  return 0;
}
