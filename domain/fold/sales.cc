// The sales side of a customer: deals, orders, logged activities and
// support tickets.
#include <algorithm>
#include <tuple>

#include "domain/fold/folding.h"

namespace accord::fold::folding {
namespace {

void RemoveValue(google::protobuf::RepeatedPtrField<std::string>* list, const std::string& value) {
  auto it = std::find(list->begin(), list->end(), value);
  if (it != list->end()) list->erase(it);
}

}  // namespace

void FoldDeal(EventFold& fold, CustomerState& customer) {
  const auto& payload = fold.event.deal_upserted();
  std::string deal_key = fold.event.source_system() + ":" + payload.deal_id();
  AddSorted(customer.mutable_deal_keys(), deal_key);
  auto deal = Load<state::v1::DealState>(fold.state, Table::kDeals, deal_key)
                  .value_or(state::v1::DealState());
  bool is_new = deal.deal_key().empty();
  if (!is_new && std::forward_as_tuple(fold.event.source_version(), fold.event.occurred_at_ms()) <=
                     std::forward_as_tuple(deal.source_version(), deal.updated_at_ms()))
    return;
  deal.set_deal_key(deal_key);
  deal.set_customer_id(customer.customer_id());
  deal.set_name(payload.name());
  deal.set_stage(payload.stage());
  *deal.mutable_amount() = payload.amount();
  deal.set_campaign_id(payload.campaign_id());
  deal.set_lost_reason(payload.lost_reason());
  deal.set_source_version(fold.event.source_version());
  if (is_new) deal.set_created_at_ms(fold.event.occurred_at_ms());
  deal.set_updated_at_ms(fold.event.occurred_at_ms());
  fold.Put(Table::kDeals, deal_key, deal);
}

void FoldOrder(const v1::Event& event, CustomerState& customer) {
  customer.set_orders(customer.orders() + 1);
  customer.set_order_revenue_minor(customer.order_revenue_minor() +
                                   event.order_placed().amount().minor_units());
  customer.set_last_order_ms(std::max(customer.last_order_ms(), event.occurred_at_ms()));
}

void FoldSupportTicket(const v1::Event& event, CustomerState& customer) {
  const auto& ticket = event.support_ticket();
  if (ticket.status() == v1::TICKET_STATUS_RESOLVED)
    RemoveValue(customer.mutable_open_tickets(), ticket.ticket_id());
  else
    AddSorted(customer.mutable_open_tickets(), ticket.ticket_id());
  if (ticket.complaint()) customer.set_complaints(customer.complaints() + 1);
}

}  // namespace accord::fold::folding
