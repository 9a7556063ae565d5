#include "services/query/render.h"

#include "core/events/envelope.h"
#include "core/util/time.h"

namespace accord::query {
namespace {

nlohmann::ordered_json MoneyJson(const v1::Money& money) {
  return {{"amount", static_cast<double>(money.minor_units()) / 100.0},
          {"currency", money.currency()}};
}

}  // namespace

nlohmann::ordered_json CustomerJson(const state::v1::CustomerState& customer) {
  nlohmann::ordered_json fields = nlohmann::ordered_json::object();
  for (const auto& field : customer.fields()) {
    fields[field.name()] = {{"value", field.value()},
                            {"source", field.source_system() + ":" + field.source_record_id()},
                            {"source_version", field.source_version()},
                            {"occurred_at", FormatIsoTimestampMs(field.occurred_at_ms())},
                            {"rule", field.rule()}};
  }
  nlohmann::ordered_json out = {
      {"id", customer.customer_id()},
      {"lifecycle_stage", events::LifecycleStageName(customer.lifecycle_stage())},
      {"fields", fields},
      {"aliases", customer.aliases()},
      {"applied_events", customer.applied_events()},
      {"first_seen", FormatIsoTimestampMs(customer.first_seen_ms())},
      {"last_seen", FormatIsoTimestampMs(customer.last_seen_ms())},
  };
  if (!customer.merged_customer_ids().empty()) out["merged_from"] = customer.merged_customer_ids();
  if (customer.erased()) out["erased"] = true;
  if (customer.engagements()) out["engagements"] = customer.engagements();
  if (customer.orders()) out["orders"] = customer.orders();
  return out;
}

nlohmann::ordered_json DealJson(const state::v1::DealState& deal) {
  return {{"id", deal.deal_key()},
          {"customer_id", deal.customer_id()},
          {"name", deal.name()},
          {"stage", events::DealStageName(deal.stage())},
          {"amount", MoneyJson(deal.amount())},
          {"updated_at", FormatIsoTimestampMs(deal.updated_at_ms())}};
}

}  // namespace accord::query
