// Offering a field's value under the field's rule (rules.h), and the
// versions of the source records a customer has seen.
#include <algorithm>
#include <tuple>

#include "domain/events/envelope.h"
#include "domain/fold/folding.h"

namespace accord::fold::folding {
namespace {

bool Newer(const FieldValue& candidate, const FieldValue& current) {
  return std::forward_as_tuple(candidate.occurred_at_ms(), candidate.source_system(),
                               candidate.source_record_id(), candidate.event_id()) >
         std::forward_as_tuple(current.occurred_at_ms(), current.source_system(),
                               current.source_record_id(), current.event_id());
}

// Position of the value's source in the rule's list; a blank value never
// counts as the preferred source having one.
size_t Rank(const FieldRule& rule, const FieldValue& value) {
  if (value.value().empty()) return rule.sources.size();
  auto it = std::find(rule.sources.begin(), rule.sources.end(), value.source_system());
  return static_cast<size_t>(it - rule.sources.begin());
}

// True when `candidate` should replace `current` under `rule`; `decided`
// names the rule that made the difference.
bool Wins(const FieldRule& rule, const FieldValue& candidate, const FieldValue& current,
          std::string* decided) {
  if (candidate.source_system() == current.source_system() &&
      candidate.source_record_id() == current.source_record_id() &&
      candidate.source_version() != current.source_version()) {
    *decided = "source-version";
    return candidate.source_version() > current.source_version();
  }
  if (rule.kind != FieldRule::Kind::kNewest) {
    size_t candidate_rank = Rank(rule, candidate);
    size_t current_rank = Rank(rule, current);
    if (candidate_rank != current_rank) {
      *decided = rule.Text();
      return candidate_rank < current_rank;
    }
  }
  *decided = "newest-occurred-at";
  return Newer(candidate, current);
}

FieldDecision Offered(const FieldValue& candidate, const FieldValue* current,
                      FieldDecision::Outcome outcome, std::string rule) {
  FieldDecision decision;
  decision.set_field(candidate.name());
  decision.set_outcome(outcome);
  decision.set_rule(std::move(rule));
  decision.set_offered_value(candidate.value());
  if (current && current->value() != candidate.value()) decision.set_old_value(current->value());
  return decision;
}

}  // namespace

FieldValue* FindField(CustomerState& customer, std::string_view name) {
  for (auto& field : *customer.mutable_fields())
    if (field.name() == name) return &field;
  return nullptr;
}

FieldDecision Kept(const FieldValue& candidate, const FieldValue* current, std::string rule) {
  FieldDecision decision =
      Offered(candidate, current, FieldDecision::OUTCOME_KEPT, std::move(rule));
  if (current)
    decision.set_old_source(current->source_system() + ":" + current->source_record_id());
  return decision;
}

FieldDecision OfferField(const Rules& rules, CustomerState& customer, FieldValue candidate) {
  const FieldRule& rule = rules.For(candidate.name());
  if (rule.kind == FieldRule::Kind::kIgnore ||
      (rule.kind == FieldRule::Kind::kOnly &&
       std::find(rule.sources.begin(), rule.sources.end(), candidate.source_system()) ==
           rule.sources.end()))
    return Offered(candidate, nullptr, FieldDecision::OUTCOME_NOT_SYNCED, rule.Text());
  FieldValue* current = FindField(customer, candidate.name());
  std::string decided = "first-value";
  if (current && !Wins(rule, candidate, *current, &decided))
    return Kept(candidate, current, decided);
  FieldDecision decision =
      Offered(candidate, current,
              current && current->value() == candidate.value() ? FieldDecision::OUTCOME_UNCHANGED
                                                               : FieldDecision::OUTCOME_CHANGED,
              decided);
  candidate.set_rule(std::move(decided));
  if (current) {
    *current = std::move(candidate);
    return decision;
  }
  *customer.add_fields() = std::move(candidate);
  std::sort(customer.mutable_fields()->begin(), customer.mutable_fields()->end(),
            [](const FieldValue& a, const FieldValue& b) { return a.name() < b.name(); });
  return decision;
}

uint64_t StoredVersion(const CustomerState& customer, const std::string& source_key) {
  for (const auto& sv : customer.source_versions())
    if (sv.source_key() == source_key) return sv.version();
  return 0;
}

void RaiseVersion(CustomerState& customer, const std::string& source_key, uint64_t version) {
  for (auto& sv : *customer.mutable_source_versions()) {
    if (sv.source_key() == source_key) {
      sv.set_version(std::max(sv.version(), version));
      return;
    }
  }
  auto* sv = customer.add_source_versions();
  sv->set_source_key(source_key);
  sv->set_version(version);
  std::sort(customer.mutable_source_versions()->begin(), customer.mutable_source_versions()->end(),
            [](const auto& a, const auto& b) { return a.source_key() < b.source_key(); });
}

// The lifecycle stage is a field like any other (with provenance and the
// conflict rule); the enum mirrors whichever value won.
void SyncLifecycle(CustomerState& customer) {
  if (const FieldValue* field = FindField(customer, "lifecycle_stage"))
    if (auto stage = events::ParseLifecycleStage(field->value()))
      customer.set_lifecycle_stage(*stage);
}

FieldValue Candidate(const v1::Event& event, std::string name, std::string value) {
  FieldValue field;
  field.set_name(std::move(name));
  field.set_value(std::move(value));
  field.set_source_system(event.source_system());
  field.set_source_record_id(event.source_record_id());
  field.set_source_version(event.source_version());
  field.set_occurred_at_ms(event.occurred_at_ms());
  field.set_event_id(event.event_id());
  return field;
}

void Offer(EventFold& fold, CustomerState& customer, FieldValue candidate) {
  fold.decisions.push_back(OfferField(fold.rules, customer, std::move(candidate)));
}

// proto3 enums are open: a stage this build does not know names nothing.
std::optional<FieldValue> LifecycleCandidate(const v1::Event& event, v1::LifecycleStage stage) {
  if (stage == v1::LIFECYCLE_STAGE_UNSPECIFIED || !v1::LifecycleStage_IsValid(stage))
    return std::nullopt;
  return Candidate(event, "lifecycle_stage", events::LifecycleStageName(stage));
}

void OfferLifecycle(EventFold& fold, CustomerState& customer, v1::LifecycleStage stage) {
  if (auto candidate = LifecycleCandidate(fold.event, stage)) {
    Offer(fold, customer, std::move(*candidate));
    SyncLifecycle(customer);
  }
}

}  // namespace accord::fold::folding
