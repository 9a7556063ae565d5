#pragma once

// Test support for the fold's unit tests: an in-memory state and builders
// for events shaped the way connectors publish them.

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "accord/v1/event.pb.h"
#include "domain/events/envelope.h"
#include "domain/events/identity.h"
#include "domain/fold/overlay.h"
#include "domain/fold/state.h"

namespace accord::fold::test_support {

// An in-memory state: one ordered map per table.
class MemoryState : public StateReader {
 public:
  using Tables = std::array<std::map<std::string, std::string>, kTableCount>;

  std::optional<std::string> Get(Table table, std::string_view key) const override {
    const auto& rows = tables_[static_cast<int>(table)];
    auto it = rows.find(std::string(key));
    if (it == rows.end()) return std::nullopt;
    return it->second;
  }
  void Set(Table table, const std::string& key, const std::optional<std::string>& value) {
    auto& rows = tables_[static_cast<int>(table)];
    if (value)
      rows[key] = *value;
    else
      rows.erase(key);
  }
  void Write(const std::vector<Change>& changes) {
    for (const auto& change : changes) Set(change.table, change.key, change.value);
  }
  // Moves an overlay's pending writes into this state, as a store commit does.
  void Flush(Overlay& overlay) {
    for (auto table : kAllTables)
      for (const auto& [key, value] : overlay.Pending(table)) Set(table, key, value);
    overlay.Stored();
  }
  const std::map<std::string, std::string>& Rows(Table table) const {
    return tables_[static_cast<int>(table)];
  }
  const Tables& tables() const { return tables_; }

 private:
  Tables tables_;
};

// --- Event builders -------------------------------------------------------

constexpr int64_t kT0 = 1741944600000;  // 2025-03-14T09:30:00Z
constexpr int64_t kMinute = 60'000;

// Fills the envelope the way connectors do; call after setting the payload.
inline v1::Event Finish(v1::Event event, std::string_view system, std::string_view record,
                        uint64_t version, int64_t at_ms) {
  events::StampEnvelope(event, {std::string(system), std::string(record), version, at_ms});
  return event;
}

// The customer key a connector would choose for a record with this e-mail.
inline std::string CustomerKey(std::string_view email, std::string_view system,
                               std::string_view record) {
  if (auto key = events::EmailIdentityKey(email)) return *key;
  return *events::SourceIdentityKey(system, record);
}

struct ContactSpec {
  std::string system = "marketing";
  std::string record = "m1";
  uint64_t version = 1;
  int64_t at_ms = kT0;
  std::optional<std::string> email = std::nullopt;
  std::optional<std::string> first_name = std::nullopt;
  std::optional<std::string> company = std::nullopt;
  v1::LifecycleStage stage = v1::LIFECYCLE_STAGE_UNSPECIFIED;
  std::vector<std::string> linked = {};
  std::optional<std::string> account_id = std::nullopt;
};

inline v1::Event Contact(const ContactSpec& spec) {
  v1::Event event;
  auto* upsert = event.mutable_customer_upserted();
  if (spec.email) upsert->set_email(*spec.email);
  if (spec.first_name) upsert->set_first_name(*spec.first_name);
  if (spec.company) upsert->set_company(*spec.company);
  upsert->set_lifecycle_stage(spec.stage);
  for (const auto& id : spec.linked) upsert->add_linked_source_ids(id);
  if (spec.account_id) upsert->set_account_id(*spec.account_id);
  event.set_customer_key(CustomerKey(spec.email.value_or(""), spec.system, spec.record));
  return Finish(std::move(event), spec.system, spec.record, spec.version, spec.at_ms);
}

inline v1::Event Deal(std::string_view deal_id, uint64_t version, int64_t at_ms,
                      std::string_view email, v1::DealStage stage, int64_t amount_minor) {
  v1::Event event;
  auto* deal = event.mutable_deal_upserted();
  deal->set_deal_id(std::string(deal_id));
  deal->set_name("Deal " + std::string(deal_id));
  deal->set_stage(stage);
  deal->mutable_amount()->set_minor_units(amount_minor);
  deal->mutable_amount()->set_currency("EUR");
  event.set_customer_key(*events::EmailIdentityKey(email));
  return Finish(std::move(event), "crm", deal_id, version, at_ms);
}

inline v1::Event Campaign(std::string_view id, uint64_t version, int64_t at_ms,
                          std::string_view name) {
  v1::Event event;
  event.mutable_campaign_upserted()->set_campaign_id(std::string(id));
  event.mutable_campaign_upserted()->set_name(std::string(name));
  return Finish(std::move(event), "marketing", id, version, at_ms);
}

// A CRM account update carrying only the fields given.
struct AccountSpec {
  std::string id = "001A";
  uint64_t version = 1;
  int64_t at_ms = kT0;
  std::optional<std::string> name = std::nullopt;
  std::optional<std::string> industry = std::nullopt;
  std::optional<uint32_t> employees = std::nullopt;
};

inline v1::Event Account(const AccountSpec& spec) {
  v1::Event event;
  auto* account = event.mutable_account_upserted();
  account->set_account_id(spec.id);
  if (spec.name) account->set_name(*spec.name);
  if (spec.industry) account->set_industry(*spec.industry);
  if (spec.employees) account->set_employees(*spec.employees);
  return Finish(std::move(event), "crm", spec.id, spec.version, spec.at_ms);
}

inline v1::Event Engagement(std::string_view record, int64_t at_ms, std::string_view email,
                            std::string_view campaign, v1::EngagementKind kind) {
  v1::Event event;
  event.mutable_campaign_engagement()->set_campaign_id(std::string(campaign));
  event.mutable_campaign_engagement()->set_kind(kind);
  event.set_customer_key(*events::EmailIdentityKey(email));
  return Finish(std::move(event), "marketing", record, 1, at_ms);
}

inline v1::Event LeadStatus(std::string_view system, std::string_view record, int64_t at_ms,
                            std::string_view email, v1::LifecycleStage stage) {
  v1::Event event;
  event.mutable_lead_status_changed()->set_stage(stage);
  event.set_customer_key(*events::EmailIdentityKey(email));
  return Finish(std::move(event), system, record, 1, at_ms);
}

inline v1::Event Order(std::string_view order_id, int64_t at_ms, std::string_view email,
                       int64_t amount_minor, std::string_view currency = "EUR") {
  v1::Event event;
  event.mutable_order_placed()->set_order_id(std::string(order_id));
  event.mutable_order_placed()->mutable_amount()->set_minor_units(amount_minor);
  event.mutable_order_placed()->mutable_amount()->set_currency(std::string(currency));
  event.set_customer_key(*events::EmailIdentityKey(email));
  return Finish(std::move(event), "shop", order_id, 1, at_ms);
}

inline v1::Event Ticket(std::string_view ticket_id, uint64_t version, int64_t at_ms,
                        std::string_view email, v1::TicketStatus status, bool complaint) {
  v1::Event event;
  event.mutable_support_ticket()->set_ticket_id(std::string(ticket_id));
  event.mutable_support_ticket()->set_status(status);
  event.mutable_support_ticket()->set_complaint(complaint);
  event.set_customer_key(*events::EmailIdentityKey(email));
  return Finish(std::move(event), "support", ticket_id, version, at_ms);
}

}  // namespace accord::fold::test_support
