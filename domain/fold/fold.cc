#include "domain/fold/fold.h"

#include <algorithm>

#include "accord/state/v1/state.pb.h"
#include "domain/events/envelope.h"
#include "domain/events/identity.h"
#include "domain/fold/folding.h"

namespace accord::fold {
namespace folding {

EventFold::EventFold(const StateReader& state, const v1::Event& envelope, const Rules& rules)
    : state(state),
      envelope(envelope),
      event(envelope.has_event_forwarded() ? envelope.event_forwarded().event() : envelope),
      rules(rules) {}

void EventFold::Emit(std::string key, v1::Event derived) {
  derived.set_schema_version(events::kCurrentSchemaVersion);
  derived.set_source_system(std::string(events::kAccordSystem));
  derived.set_source_record_id(envelope.event_id());
  derived.set_occurred_at_ms(envelope.occurred_at_ms());
  derived.set_customer_key(key);
  derived.set_correlation_id(envelope.correlation_id());
  derived.set_causation_id(envelope.event_id());
  derived.set_origin(v1::ORIGIN_ACCORD);
  derived.set_event_id(events::MakeEventId(events::kAccordSystem, envelope.event_id() + "\n" + key,
                                           0, events::PayloadKind(derived)));
  outcome.emitted.push_back(std::move(derived));
}

}  // namespace folding

bool AddSorted(google::protobuf::RepeatedPtrField<std::string>* list, const std::string& value) {
  auto it = std::lower_bound(list->begin(), list->end(), value);
  if (it != list->end() && *it == value) return false;
  list->Add(std::string(value));
  std::sort(list->begin(), list->end());
  return true;
}

Outcome Apply(const StateReader& state, const v1::Event& event, const Rules& rules) {
  folding::EventFold fold(state, event, rules);
  if (state.Get(Table::kEvents, fold.event.event_id())) {
    fold.outcome.verdict = Verdict::kDuplicate;
    return std::move(fold.outcome);
  }
  if (events::IsFeedbackEvent(fold.event) || events::IsFeedbackInput(fold.event)) {
    fold.outcome.verdict = Verdict::kIgnored;
    return std::move(fold.outcome);
  }
  const bool identity = events::IsIdentityEvent(fold.event);
  if (identity) fold.outcome.verdict = Verdict::kIdentity;
  switch (fold.event.payload_case()) {
    case v1::Event::kCampaignUpserted:
      FoldCampaign(fold);
      break;
    case v1::Event::kAccountUpserted:
      FoldAccount(fold);
      break;
    case v1::Event::kIdentityClaimed:
      FoldClaim(fold);
      break;
    case v1::Event::kIdentityReleased:
      FoldRelease(fold);
      break;
    case v1::Event::kMergeRequested:
      FoldMergeRequest(fold);
      break;
    case v1::Event::kCustomerMoved:
      FoldMoved(fold);
      break;
    default:
      FoldCustomerEvent(fold);
  }
  state::v1::AppliedEvent applied;
  applied.set_customer_id(fold.outcome.customer_id);
  applied.set_occurred_at_ms(fold.event.occurred_at_ms());
  if (fold.outcome.verdict == Verdict::kForwarded) applied.set_forwarded_to(fold.moved_to);
  applied.set_identity(identity);
  fold.Put(Table::kEvents, fold.event.event_id(), applied);
  return std::move(fold.outcome);
}

Outcome Apply(const StateReader& state, const v1::Event& event) {
  static const Rules kNewestEverywhere;
  return Apply(state, event, kNewestEverywhere);
}

}  // namespace accord::fold
