#include "connectors/sink/body.h"

#include <google/protobuf/util/json_util.h>

#include <nlohmann/json.hpp>

#include "domain/events/envelope.h"
#include "domain/util/time.h"

namespace accord::connectors::sink {

std::string FeedbackJson(const v1::Event& event) {
  const std::string kind(events::PayloadKind(event));
  nlohmann::ordered_json body = {{"id", event.event_id()},
                                 {"type", kind},
                                 {"customer_id", event.source_record_id()},
                                 {"customer_key", event.customer_key()},
                                 {"occurred_at", FormatIsoTimestampMs(event.occurred_at_ms())},
                                 {"origin", events::kAccordSystem},
                                 {"changeSource", events::kAccordSystem}};
  const auto* field = v1::Event::descriptor()->FindFieldByName(kind);
  if (field != nullptr) {
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    options.always_print_primitive_fields = true;
    std::string payload;
    auto status = google::protobuf::util::MessageToJsonString(
        event.GetReflection()->GetMessage(event, field), &payload, options);
    if (status.ok()) body[kind] = nlohmann::ordered_json::parse(payload);
  }
  return body.dump();
}

namespace {

// "email:anna@corp.de" -> "anna@corp.de"; a record key stays as it is.
std::string Who(const v1::Event& event) {
  const std::string& key = event.customer_key();
  return key.starts_with("email:") ? key.substr(6) : key;
}

std::string Joined(const google::protobuf::RepeatedPtrField<std::string>& parts) {
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : "; ") + part;
  return out;
}

std::string Amount(const v1::Money& money) {
  const int64_t minor = money.minor_units();
  const int64_t whole = minor / 100, cents = std::llabs(minor % 100);
  return std::to_string(whole) + "." + (cents < 10 ? "0" : "") + std::to_string(cents) + " " +
         money.currency();
}

}  // namespace

std::optional<std::string> ChatMessageJson(const v1::Event& event) {
  std::string text;
  if (event.has_lead_qualified()) {
    const auto& lead = event.lead_qualified();
    text = "Qualified lead for sales: " + Who(event) + ", score " + std::to_string(lead.score()) +
           " (" + Joined(lead.reasons()) + ")";
  } else if (event.has_contact_pause()) {
    text = "Please do not contact " + Who(event) + " before " +
           FormatIsoTimestampMs(event.contact_pause().until_ms()).substr(0, 10) + ": " +
           event.contact_pause().reason();
  } else if (event.has_reactivation_candidate()) {
    const auto& candidate = event.reactivation_candidate();
    text = "Worth winning back: " + Who(event) + ", " +
           std::to_string(candidate.days_since_last_purchase()) +
           " days since the last purchase (usually every " +
           std::to_string(candidate.usual_interval_days()) + ")";
    if (!candidate.reasons().empty()) text += " (" + Joined(candidate.reasons()) + ")";
  } else if (event.has_deal_upserted() &&
             event.deal_upserted().stage() == v1::DEAL_STAGE_CLOSED_WON) {
    const auto& deal = event.deal_upserted();
    text = "Deal won: " + (deal.name().empty() ? deal.deal_id() : deal.name()) + ", " +
           Amount(deal.amount()) + " (" + Who(event) + ")";
  } else {
    return std::nullopt;
  }
  return nlohmann::json({{"text", text}}).dump();
}

}  // namespace accord::connectors::sink
