// CRM accounts (companies), stored apart from the customers that name them.
#include <tuple>

#include "domain/fold/folding.h"

namespace accord::fold::folding {

// Each field an update carries replaces the stored one, unless an older
// version of the account arrives late: that stays in the history only.
void FoldAccount(EventFold& fold) {
  const auto& payload = fold.event.account_upserted();
  const std::string account_key = fold.event.source_system() + ":" + payload.account_id();
  auto account = Load<state::v1::AccountState>(fold.state, Table::kAccounts, account_key)
                     .value_or(state::v1::AccountState());
  if (!account.account_key().empty() &&
      std::forward_as_tuple(fold.event.source_version(), fold.event.occurred_at_ms()) <
          std::forward_as_tuple(account.source_version(), account.updated_at_ms()))
    return;
  if (account.account_key().empty()) {
    account.set_account_key(account_key);
    account.set_created_at_ms(fold.event.occurred_at_ms());
  }
  if (payload.has_name()) account.set_name(payload.name());
  if (payload.has_domain()) account.set_domain(payload.domain());
  if (payload.has_industry()) account.set_industry(payload.industry());
  if (payload.has_employees()) account.set_employees(payload.employees());
  if (payload.has_annual_revenue()) *account.mutable_annual_revenue() = payload.annual_revenue();
  if (payload.has_country()) account.set_country(payload.country());
  if (payload.has_city()) account.set_city(payload.city());
  account.set_source_version(fold.event.source_version());
  account.set_updated_at_ms(fold.event.occurred_at_ms());
  fold.Put(Table::kAccounts, account_key, account);
}

}  // namespace accord::fold::folding
