// Company profiles: an account the projection folded is announced to every
// shard, where each shard keeps its copy and rescores the customers of that
// company.
#include "domain/feedback/emit.h"
#include "domain/feedback/scoring.h"
#include "domain/fold/codec.h"

namespace accord::feedback::scoring {

// An account the projection has just folded: its profile goes to every
// shard, where its customers are.
FeedbackOutcome AnnounceAccount(const fold::StateReader& state, const v1::Event& event) {
  const std::string key = event.source_system() + ":" + event.account_upserted().account_id();
  auto bytes = state.Get(fold::Table::kAccounts, key);
  if (!bytes) return {};
  auto account = fold::DecodeState<state::v1::AccountState>(*bytes, fold::Table::kAccounts, key);
  v1::Event announced;
  auto* profile = announced.mutable_account_profile();
  profile->set_account_key(key);
  profile->set_name(account.name());
  profile->set_industry(account.industry());
  profile->set_employees(account.employees());
  if (account.has_annual_revenue()) *profile->mutable_annual_revenue() = account.annual_revenue();
  profile->set_country(account.country());
  profile->set_city(account.city());
  FeedbackOutcome outcome;
  outcome.broadcast.push_back(StampFeedback(std::move(announced), event, event.occurred_at_ms(),
                                            key, "account:" + key, key));
  return outcome;
}

// This shard's copy of an account is replaced; its customers are rescored.
FeedbackOutcome FoldAccountProfile(const fold::StateReader& state, const v1::Event& event,
                                   const FeedbackRules& rules) {
  const auto& profile = event.account_profile();
  state::v1::AccountProfileState entry;
  if (auto bytes = state.Get(fold::Table::kAccountProfiles, profile.account_key()))
    entry = fold::DecodeState<state::v1::AccountProfileState>(*bytes, fold::Table::kAccountProfiles,
                                                              profile.account_key());
  *entry.mutable_profile() = profile;
  const fold::Change copy{fold::Table::kAccountProfiles, profile.account_key(),
                          fold::EncodeState(entry)};
  const WithPending updated(state, copy);
  FeedbackOutcome outcome;
  outcome.changes.push_back(copy);
  for (const auto& customer_id : entry.customer_ids()) {
    auto rescored = Rescore(updated, event, customer_id, rules);
    for (auto& change : rescored.changes) outcome.changes.push_back(std::move(change));
    for (auto& emitted : rescored.emitted) outcome.emitted.push_back(std::move(emitted));
  }
  return outcome;
}

}  // namespace accord::feedback::scoring
