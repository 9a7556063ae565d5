// The customer's fit: the fit rules matched against its fields and its
// company's (the shard's copy of the CRM account).
#include <algorithm>

#include "domain/events/envelope.h"
#include "domain/feedback/scoring.h"
#include "domain/fold/codec.h"
#include "domain/fold/fold.h"

namespace accord::feedback::scoring {
namespace {

std::string Lower(std::string_view text) {
  const auto begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return "";
  text = text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A field a fit rule names, of the customer or of its company (`account`,
// the shard's copy of the CRM's account).
std::string FieldValue(const CustomerState& customer, const v1::AccountProfile& account,
                       const std::string& name) {
  if (name == "lifecycle_stage") return events::LifecycleStageName(customer.lifecycle_stage());
  if (name == "industry") return account.industry();
  if (name == "employees")
    return account.employees() > 0 ? std::to_string(account.employees()) : "";
  for (const auto& field : customer.fields()) {
    if (field.name() != name) continue;
    // An address's domain is what says something about the company.
    if (name == "email") return field.value().substr(field.value().find('@') + 1);
    return field.value();
  }
  return "";
}

bool Matches(const FitRule& rule, const std::string& value) {
  if (value.empty()) return false;
  if (rule.match == FitRule::Match::kRange) {
    const int64_t number = std::stoll(value);
    return (!rule.at_least || number >= *rule.at_least) && (!rule.below || number < *rule.below);
  }
  return std::any_of(rule.values.begin(), rule.values.end(), [&](const std::string& wanted) {
    return rule.match == FitRule::Match::kIn ? value == wanted
                                             : value.find(wanted) != std::string::npos;
  });
}
state::v1::AccountProfileState LoadAccount(const fold::StateReader& state, const std::string& key) {
  if (key.empty()) return {};
  auto bytes = state.Get(fold::Table::kAccountProfiles, key);
  if (!bytes) return {};
  return fold::DecodeState<state::v1::AccountProfileState>(*bytes, fold::Table::kAccountProfiles,
                                                           key);
}

}  // namespace

v1::AccountProfile JoinAccount(const fold::StateReader& state, const std::string& customer_id,
                               const CustomerState& customer, ScoreState& score,
                               std::vector<fold::Change>& changes) {
  const std::string key = FieldValue(customer, {}, "account");
  auto entry = LoadAccount(state, key);
  if (key == score.account_key()) return entry.profile();
  if (!score.account_key().empty()) {
    auto left = LoadAccount(state, score.account_key());
    auto& ids = *left.mutable_customer_ids();
    ids.erase(std::remove(ids.begin(), ids.end(), customer_id), ids.end());
    changes.push_back(
        {fold::Table::kAccountProfiles, score.account_key(), fold::EncodeState(left)});
  }
  if (!key.empty()) {
    fold::AddSorted(entry.mutable_customer_ids(), customer_id);
    changes.push_back({fold::Table::kAccountProfiles, key, fold::EncodeState(entry)});
  }
  score.set_account_key(key);
  return entry.profile();
}

int32_t ScoreFit(const ScoreRules& rules, const CustomerState& customer,
                 const v1::AccountProfile& account, Components& components) {
  int32_t fit = 0;
  for (const auto& rule : rules.fit) {
    const std::string value = Lower(FieldValue(customer, account, rule.field));
    if (!Matches(rule, value)) continue;
    fit += rule.points;
    AddComponent(components, "fit." + rule.field, rule.points, rule.field + " \"" + value + "\"");
  }
  return fit;
}

}  // namespace accord::feedback::scoring
