// libFuzzer target: arbitrary bytes as the body of a webhook request, mapped
// as change notifications, or as form submissions when the first byte is
// 'F' (the rest is the body).
//
// Checked beyond "no crash, leak or undefined behaviour": a refused body
// names a reason and yields nothing; an accepted one yields events that
// consumers accept (events::DecodeEvent), the same bytes when mapped again
// (a re-sent request keeps its event ids), and an ignored item only with a
// reason. The signature check reads the same bytes as headers.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "connectors/signing/signature.h"
#include "connectors/webhook/accord_format.h"
#include "domain/events/envelope.h"

namespace {

namespace signing = accord::connectors::signing;
namespace webhook = accord::connectors::webhook;
namespace events = accord::events;

constexpr int64_t kNowMs = 1735689600000;

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_webhook: %s\n", what.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const bool forms = input.starts_with('F');
  const std::string_view body = input.empty() ? input : input.substr(1);
  const auto shape = forms ? webhook::Shape::kForms : webhook::Shape::kChanges;

  auto mapped = webhook::MapBody(shape, body, "marketing", kNowMs);
  if (mapped.refusal) {
    if (mapped.refusal->reason.empty()) Fail("refusal without a reason");
    if (!mapped.events.empty() || !mapped.ignored.empty()) Fail("a refused body yields events");
  } else {
    auto again = webhook::MapBody(shape, body, "marketing", kNowMs);
    if (again.refusal || again.events.size() != mapped.events.size())
      Fail("mapping the same body twice differs");
    for (size_t i = 0; i < mapped.events.size(); ++i) {
      const std::string bytes = mapped.events[i].SerializeAsString();
      accord::v1::Event consumed;
      auto decoded = events::DecodeEvent(bytes, consumed);
      if (decoded.error != events::DecodeError::kNone)
        Fail("an accepted body yields an event consumers refuse: " + decoded.reason);
      if (again.events[i].SerializeAsString() != bytes) Fail("mapping the same body twice differs");
    }
    for (const auto& ignored : mapped.ignored)
      if (ignored.reason.empty()) Fail("ignored item without a reason");
  }

  const std::string header(body.substr(0, 80));
  auto check =
      signing::Verify("secret", "POST", "/v1/hooks/changes", header, header, body, kNowMs / 1000);
  if (check.verdict == signing::Verdict::kValid) Fail("a forged signature verified");
  if (check.reason.empty()) Fail("a refused signature without a reason");
  return 0;
}
