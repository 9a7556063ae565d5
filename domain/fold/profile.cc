// What marketing and sales know of the person: the fields an upsert
// offers, consents, the lead's status and sales' decision on it; and the
// person's erasure.
#include <algorithm>

#include "domain/events/identity.h"
#include "domain/fold/folding.h"

namespace accord::fold::folding {
namespace {

// The fields an upsert carries, in the order they are offered.
std::vector<FieldValue> UpsertCandidates(const v1::Event& event) {
  const auto& upsert = event.customer_upserted();
  std::vector<FieldValue> candidates;
  auto offer = [&](const char* name, bool present, const std::string& value) {
    if (present) candidates.push_back(Candidate(event, name, value));
  };
  if (upsert.has_email()) {
    auto email = events::NormaliseEmail(upsert.email());
    candidates.push_back(Candidate(event, "email", email.value_or(upsert.email())));
  }
  offer("first_name", upsert.has_first_name(), upsert.first_name());
  offer("last_name", upsert.has_last_name(), upsert.last_name());
  offer("company", upsert.has_company(), upsert.company());
  offer("job_title", upsert.has_job_title(), upsert.job_title());
  offer("phone", upsert.has_phone(), upsert.phone());
  offer("city", upsert.has_city(), upsert.city());
  offer("country", upsert.has_country(), upsert.country());
  // Account ids are only unique within their system.
  offer("account", !upsert.account_id().empty(), event.source_system() + ":" + upsert.account_id());
  if (auto stage = LifecycleCandidate(event, upsert.lifecycle_stage()))
    candidates.push_back(std::move(*stage));
  return candidates;
}

}  // namespace

void FoldUpsert(EventFold& fold, CustomerState& customer) {
  const std::string source_key = SourceKey(fold.event);
  const uint64_t stored = StoredVersion(customer, source_key);
  if (fold.event.source_version() != 0 && fold.event.source_version() <= stored) {
    // Counted in the history, but an older version never wins.
    fold.note = "stale: version " + std::to_string(fold.event.source_version()) + " of " +
                source_key + " is not newer than " + std::to_string(stored);
    for (const auto& candidate : UpsertCandidates(fold.event))
      fold.decisions.push_back(
          Kept(candidate, FindField(customer, candidate.name()), "source-version"));
    return;
  }
  RaiseVersion(customer, source_key, fold.event.source_version());
  for (auto& candidate : UpsertCandidates(fold.event)) Offer(fold, customer, std::move(candidate));
  SyncLifecycle(customer);
}

// Forgets the person: fields, consents and e-mail identities go, and the
// shards that recorded this customer as holder of an address let go of it.
// The timeline keeps what happened, without the values.
void FoldErasure(EventFold& fold, CustomerState& customer) {
  v1::Event release;
  for (const auto& alias : customer.aliases())
    release.mutable_identity_released()->add_holder_keys(alias);
  for (const auto& field : customer.fields()) {
    FieldDecision& decision = fold.decisions.emplace_back();
    decision.set_field(field.name());
    decision.set_outcome(FieldDecision::OUTCOME_ERASED);
    decision.set_rule("erasure");
  }
  EraseTimelineValues(fold, customer);
  customer.clear_fields();
  customer.clear_consents();
  customer.set_erased(true);
  auto* aliases = customer.mutable_aliases();
  for (auto it = aliases->begin(); it != aliases->end();) {
    if (it->rfind("email:", 0) == 0) {
      fold.Delete(Table::kIdentity, *it);
      fold.Emit(*it, release);
      it = aliases->erase(it);
    } else {
      ++it;
    }
  }
}

void FoldConsent(EventFold& fold, CustomerState& customer) {
  const auto& payload = fold.event.consent_changed();
  auto* consents = customer.mutable_consents();
  auto it = std::find_if(consents->begin(), consents->end(),
                         [&](const auto& c) { return c.channel() == payload.channel(); });
  if (it != consents->end() && it->changed_at_ms() > fold.event.occurred_at_ms()) return;
  state::v1::Consent consent;
  consent.set_channel(payload.channel());
  consent.set_granted(payload.granted());
  consent.set_changed_at_ms(fold.event.occurred_at_ms());
  if (it != consents->end()) {
    *it = consent;
    return;
  }
  *customer.add_consents() = consent;
  std::sort(consents->begin(), consents->end(),
            [](const auto& a, const auto& b) { return a.channel() < b.channel(); });
}

void FoldLeadDecision(EventFold& fold, CustomerState& customer) {
  const auto& decision = fold.event.lead_decision();
  customer.set_last_lead_decision((decision.accepted() ? "accepted" : "rejected:") +
                                  (decision.accepted() ? std::string() : decision.reason_code()));
  // Accepted, the lead is sales'; rejected, it goes back to marketing.
  OfferLifecycle(fold, customer,
                 decision.accepted() ? v1::LIFECYCLE_STAGE_SQL : v1::LIFECYCLE_STAGE_LEAD);
}

}  // namespace accord::fold::folding
