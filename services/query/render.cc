#include "services/query/render.h"

#include <cctype>

#include "accord/v1/campaign.pb.h"
#include "domain/events/envelope.h"
#include "domain/util/time.h"

namespace accord::query {
namespace {

nlohmann::ordered_json MoneyJson(const v1::Money& money) {
  return {{"amount", static_cast<double>(money.minor_units()) / 100.0},
          {"currency", money.currency()}};
}

// Every stage in lifecycle order with its count (0 when absent); stages the
// map holds that this build does not know follow in name order.
nlohmann::ordered_json StageCounts(const std::map<std::string, int64_t>& counts,
                                   bool with_unspecified) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  std::map<std::string, int64_t> rest = counts;
  for (int stage = v1::LifecycleStage_MIN; stage <= v1::LifecycleStage_MAX; ++stage) {
    if (stage == v1::LIFECYCLE_STAGE_UNSPECIFIED || !v1::LifecycleStage_IsValid(stage)) continue;
    std::string name = events::LifecycleStageName(static_cast<v1::LifecycleStage>(stage));
    auto it = rest.find(name);
    out[name] = it == rest.end() ? 0 : it->second;
    if (it != rest.end()) rest.erase(it);
  }
  const std::string unspecified = events::LifecycleStageName(v1::LIFECYCLE_STAGE_UNSPECIFIED);
  auto it = rest.find(unspecified);
  int64_t unstaged = it == rest.end() ? 0 : it->second;
  if (it != rest.end()) rest.erase(it);
  for (const auto& [name, count] : rest) out[name] = count;
  if (with_unspecified || unstaged != 0) out[unspecified] = unstaged;
  return out;
}

}  // namespace

nlohmann::ordered_json FieldJson(const state::v1::FieldValue& field) {
  return {{"value", field.value()},
          {"source", field.source_system() + ":" + field.source_record_id()},
          {"source_version", field.source_version()},
          {"occurred_at", FormatIsoTimestampMs(field.occurred_at_ms())},
          {"rule", field.rule()}};
}

nlohmann::ordered_json CustomerJson(const state::v1::CustomerState& customer) {
  nlohmann::ordered_json fields = nlohmann::ordered_json::object();
  for (const auto& field : customer.fields()) fields[field.name()] = FieldJson(field);
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
  nlohmann::ordered_json out = {{"id", deal.deal_key()},
                                {"customer_id", deal.customer_id()},
                                {"name", deal.name()},
                                {"stage", events::DealStageName(deal.stage())},
                                {"amount", MoneyJson(deal.amount())},
                                {"created_at", FormatIsoTimestampMs(deal.created_at_ms())},
                                {"updated_at", FormatIsoTimestampMs(deal.updated_at_ms())}};
  if (!deal.campaign_id().empty()) out["campaign_id"] = deal.campaign_id();
  if (!deal.lost_reason().empty()) out["lost_reason"] = deal.lost_reason();
  return out;
}

nlohmann::ordered_json ScoreComponentsJson(
    const google::protobuf::RepeatedPtrField<v1::ScoreComponent>& components) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& component : components)
    out.push_back({{"name", component.name()},
                   {"points", component.points()},
                   {"reason", component.reason()}});
  return out;
}

nlohmann::ordered_json ScoreJson(const state::v1::ScoreState& score,
                                 const state::v1::CustomerState& customer) {
  return {{"customer_id", customer.customer_id()},
          {"score", score.score()},
          {"fit", score.fit()},
          {"engagement", score.engagement()},
          {"negative", score.negative()},
          {"components", ScoreComponentsJson(score.components())},
          {"as_of", FormatIsoTimestampMs(score.as_of_ms())},
          {"lifecycle_stage", events::LifecycleStageName(customer.lifecycle_stage())},
          {"offered_to_sales", score.handed_over()},
          {"rejections", score.rejections()},
          {"reactivation",
           score.has_reactivation()
               ? ReactivationJson(score.reactivation(), score.reactivation_announced_ms())
               : nlohmann::ordered_json(nullptr)}};
}

std::string AttributionModelName(v1::AttributionModel model) {
  std::string name = v1::AttributionModel_Name(model);
  constexpr std::string_view prefix = "ATTRIBUTION_MODEL_";
  if (!name.starts_with(prefix)) return "model_" + std::to_string(model);
  name = name.substr(prefix.size());
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

std::optional<v1::AttributionModel> ParseAttributionModel(std::string_view name) {
  for (auto model : {v1::ATTRIBUTION_MODEL_FIRST_TOUCH, v1::ATTRIBUTION_MODEL_LAST_TOUCH,
                     v1::ATTRIBUTION_MODEL_LINEAR})
    if (AttributionModelName(model) == name) return model;
  return std::nullopt;
}

nlohmann::ordered_json EffectivenessJson(const v1::CampaignEffectiveness& figures) {
  return {{"model", AttributionModelName(figures.model())},
          {"touched_contacts", figures.touched_contacts()},
          {"influenced_pipeline", MoneyJson(figures.influenced_pipeline())},
          {"won_revenue", MoneyJson(figures.won_revenue())},
          {"win_rate", static_cast<double>(figures.win_rate_ppm()) / 1e6},
          {"win_rate_ppm", figures.win_rate_ppm()},
          {"effectiveness_index", figures.effectiveness_index()}};
}

nlohmann::ordered_json ReactivationJson(const v1::ReactivationCandidate& candidate,
                                        int64_t announced_at_ms) {
  return {{"announced_at", FormatIsoTimestampMs(announced_at_ms)},
          {"days_since_last_purchase", candidate.days_since_last_purchase()},
          {"usual_interval_days", candidate.usual_interval_days()},
          {"recency", candidate.recency()},
          {"frequency", candidate.frequency()},
          {"monetary", candidate.monetary()},
          {"reasons",
           std::vector<std::string>(candidate.reasons().begin(), candidate.reasons().end())}};
}

nlohmann::ordered_json AccountJson(const state::v1::AccountState& account) {
  nlohmann::ordered_json out = {{"id", account.account_key()}, {"name", account.name()}};
  auto text = [&](const char* name, const std::string& value) {
    if (!value.empty()) out[name] = value;
  };
  text("domain", account.domain());
  text("industry", account.industry());
  if (account.employees()) out["employees"] = account.employees();
  if (account.has_annual_revenue()) out["annual_revenue"] = MoneyJson(account.annual_revenue());
  text("country", account.country());
  text("city", account.city());
  out["created_at"] = FormatIsoTimestampMs(account.created_at_ms());
  out["updated_at"] = FormatIsoTimestampMs(account.updated_at_ms());
  return out;
}

nlohmann::ordered_json TimelineEntryJson(const state::v1::TimelineEntry& entry,
                                         const std::string& customer_id) {
  return {{"occurred_at", FormatIsoTimestampMs(entry.occurred_at_ms())},
          {"kind", entry.kind()},
          {"source", entry.source_system() + ":" + entry.source_record_id()},
          {"version", entry.source_version()},
          {"event_id", entry.event_id()},
          {"customer_id", customer_id},
          {"note", entry.note()},
          {"merged_customer_ids", entry.merged_customer_ids()}};
}

std::string EngagementKindName(int kind) {
  static constexpr std::string_view kPrefix = "ENGAGEMENT_KIND_";
  if (!v1::EngagementKind_IsValid(kind)) return "kind_" + std::to_string(kind);
  std::string name = v1::EngagementKind_Name(static_cast<v1::EngagementKind>(kind));
  if (name.starts_with(kPrefix)) name.erase(0, kPrefix.size());
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

nlohmann::ordered_json CampaignJson(const std::string& campaign_id,
                                    const std::optional<state::v1::CampaignState>& definition,
                                    const std::vector<uint64_t>& counts_by_kind) {
  nlohmann::ordered_json out = {{"id", campaign_id}, {"defined", definition.has_value()}};
  if (definition) {
    out["name"] = definition->name();
    out["channel"] = definition->channel();
    out["start_date"] = definition->start_date();
    out["budget"] = MoneyJson(definition->budget());
    out["source_version"] = definition->source_version();
    out["updated_at"] = FormatIsoTimestampMs(definition->updated_at_ms());
  } else {
    for (const char* key :
         {"name", "channel", "start_date", "budget", "source_version", "updated_at"})
      out[key] = nullptr;
  }
  auto count = [&](size_t kind) { return kind < counts_by_kind.size() ? counts_by_kind[kind] : 0; };
  nlohmann::ordered_json engagements = nlohmann::ordered_json::object();
  uint64_t total = 0;
  for (int kind = v1::EngagementKind_MIN; kind <= v1::EngagementKind_MAX; ++kind) {
    if (kind == v1::ENGAGEMENT_KIND_UNSPECIFIED || !v1::EngagementKind_IsValid(kind)) continue;
    engagements[EngagementKindName(kind)] = count(kind);
    total += count(kind);
  }
  // Kinds the fold could not name are counted as unspecified; list them only
  // when there are any, as any kinds this build does not know.
  for (size_t kind = 0; kind < counts_by_kind.size(); ++kind) {
    bool known = kind != v1::ENGAGEMENT_KIND_UNSPECIFIED &&
                 v1::EngagementKind_IsValid(static_cast<int>(kind));
    if (known || counts_by_kind[kind] == 0) continue;
    engagements[EngagementKindName(static_cast<int>(kind))] = counts_by_kind[kind];
    total += counts_by_kind[kind];
  }
  out["engagements"] = engagements;
  out["engagements_total"] = total;
  return out;
}

nlohmann::ordered_json FunnelJson(const std::map<std::string, int64_t>& current,
                                  const std::map<std::string, int64_t>& entered) {
  return {{"current", StageCounts(current, true)}, {"entered", StageCounts(entered, false)}};
}

}  // namespace accord::query
