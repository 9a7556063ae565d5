// libFuzzer target: arbitrary bytes as a Kafka message value. Whatever
// DecodeEvent accepts goes through MessageKey and the fold against an empty
// state, the way the projector would see it as the first event.
//
// Checks beyond "no crash, no leak, no undefined behaviour": an accepted event
// is valid, the fold is deterministic (same state, same event, same changes)
// and folding the same event again is a duplicate.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/stubs/logging.h>

#include "domain/events/envelope.h"
#include "domain/fold/fold.h"
#include "domain/fold/overlay.h"
#include "domain/fold/state.h"

namespace {

namespace events = accord::events;
namespace fold = accord::fold;
namespace v1 = accord::v1;

class EmptyState : public fold::StateReader {
 public:
  std::optional<std::string> Get(fold::Table, std::string_view) const override {
    return std::nullopt;
  }
};

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_event_decode: %s\n", what.c_str());
  std::abort();
}

bool SameChanges(const std::vector<fold::Change>& a, const std::vector<fold::Change>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].table != b[i].table || a[i].key != b[i].key || a[i].value != b[i].value) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Most inputs are refused; protobuf's log line for each (invalid UTF-8 in a
  // string field) would drown libFuzzer's own output.
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  v1::Event event;
  auto decoded =
      events::DecodeEvent(std::string_view(reinterpret_cast<const char*>(data), size), event);
  if (decoded.error != events::DecodeError::kNone) {
    if (decoded.reason.empty()) Fail("refused without a reason");
    return 0;
  }
  if (auto problem = events::ValidateEvent(event); !problem.empty())
    Fail("accepted an invalid event: " + problem);
  if (events::PayloadKind(event).empty()) Fail("accepted an event without payload kind");
  (void)events::MessageKey(event);
  // The names the query side renders from stored stages.
  if (event.has_customer_upserted())
    (void)events::LifecycleStageName(event.customer_upserted().lifecycle_stage());
  if (event.has_lead_status_changed())
    (void)events::LifecycleStageName(event.lead_status_changed().stage());
  if (event.has_deal_upserted()) (void)events::DealStageName(event.deal_upserted().stage());

  EmptyState empty;
  fold::Overlay overlay(empty);
  fold::Outcome first = fold::Apply(overlay, event);
  fold::Outcome second = fold::Apply(overlay, event);
  if (first.verdict != second.verdict || first.customer_id != second.customer_id ||
      !SameChanges(first.changes, second.changes))
    Fail("fold is not deterministic");
  if (first.verdict == fold::Verdict::kDuplicate) Fail("first event folded as a duplicate");
  overlay.Record(first.changes);
  fold::Outcome replay = fold::Apply(overlay, event);
  if (first.verdict == fold::Verdict::kApplied && replay.verdict != fold::Verdict::kDuplicate)
    Fail("folding an applied event again is not a duplicate");
  return 0;
}
