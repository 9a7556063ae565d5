#include "services/audit/state_diff.h"

#include <map>

#include "domain/events/envelope.h"

namespace accord::audit {
namespace {

constexpr char kNone[] = "(none)";

using Values = std::map<std::string, std::string>;

// A customer's comparable parts, by field name.
Values CustomerValues(const state::v1::CustomerState& customer) {
  Values values;
  for (const auto& field : customer.fields()) {
    values[field.name()] = field.value();
    values[field.name() + ".source"] = field.source_system() + ":" + field.source_record_id();
  }
  values["lifecycle_stage"] = events::LifecycleStageName(customer.lifecycle_stage());
  std::string aliases;
  for (const auto& alias : customer.aliases()) aliases += (aliases.empty() ? "" : " ") + alias;
  values["aliases"] = aliases;
  values["events_applied"] = std::to_string(customer.applied_events());
  return values;
}

Values DealValues(const query::StateQuery::Deal& deal) {
  return {{"customer", deal.customer_id},
          {"stage", events::DealStageName(deal.state.stage())},
          {"amount", std::to_string(deal.state.amount().minor_units()) + " " +
                         deal.state.amount().currency()}};
}

// Records compared by subject: those on one side only, and the fields that
// differ where both have them.
void Compare(const std::map<std::string, Values>& a, const std::map<std::string, Values>& b,
             std::vector<Difference>& out) {
  std::map<std::string, std::pair<const Values*, const Values*>> subjects;
  for (const auto& [subject, values] : a) subjects[subject].first = &values;
  for (const auto& [subject, values] : b) subjects[subject].second = &values;
  for (const auto& [subject, sides] : subjects) {
    const auto& [in_a, in_b] = sides;
    if (!in_a || !in_b) {
      out.push_back({subject, "(record)", in_a ? "present" : kNone, in_b ? "present" : kNone});
      continue;
    }
    std::map<std::string, std::pair<std::string, std::string>> fields;
    for (const auto& [field, value] : *in_a) fields[field] = {value, kNone};
    for (const auto& [field, value] : *in_b) {
      auto [it, added] = fields.try_emplace(field, kNone, value);
      if (!added) it->second.second = value;
    }
    for (const auto& [field, values] : fields)
      if (values.first != values.second)
        out.push_back({subject, field, values.first, values.second});
  }
}

std::map<std::string, Values> Customers(const query::StateQuery& state) {
  std::map<std::string, Values> customers;
  for (const auto& customer : state.LiveCustomers())
    customers["customer " + customer.state.customer_id()] = CustomerValues(customer.state);
  return customers;
}

std::map<std::string, Values> Deals(const query::StateQuery& state) {
  std::map<std::string, Values> deals;
  for (const auto& deal : state.AllDeals())
    deals["deal " + deal.state.deal_key()] = DealValues(deal);
  return deals;
}

std::map<std::string, Values> Funnel(const query::StateQuery& state) {
  Values values;
  auto funnel = state.FunnelTotals();
  // A stage no customer is in counts 0, stored or not.
  for (const auto& [stage, count] : funnel.current)
    if (count != 0) values["current " + stage] = std::to_string(count);
  for (const auto& [stage, count] : funnel.entered)
    if (count != 0) values["entered " + stage] = std::to_string(count);
  return {{"funnel", values}};
}

}  // namespace

std::vector<Difference> DiffStates(const query::StateQuery& a, const query::StateQuery& b) {
  std::vector<Difference> out;
  Compare(Customers(a), Customers(b), out);
  Compare(Deals(a), Deals(b), out);
  Compare(Funnel(a), Funnel(b), out);
  return out;
}

}  // namespace accord::audit
