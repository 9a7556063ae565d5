#include "services/api/routes.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <limits>
#include <optional>

#include <nlohmann/json.hpp>

#include "domain/events/identity.h"
#include "domain/feedback/attribution.h"
#include "domain/util/time.h"
#include "services/audit/audit_timeline.h"
#include "services/query/feedback_views.h"
#include "services/query/render.h"
#include "services/query/state_query.h"

namespace accord::api {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kCustomers = "/v1/customers";
constexpr std::string_view kDeals = "/v1/deals/";
constexpr std::string_view kCampaigns = "/v1/campaigns/";
constexpr std::string_view kCampaignRanking = "/v1/campaigns";
constexpr std::string_view kReactivation = "/v1/reactivation";
constexpr std::string_view kAccounts = "/v1/accounts/";
constexpr std::string_view kTimelineSuffix = "/timeline";
constexpr std::string_view kAuditSuffix = "/audit";
constexpr std::string_view kScoreSuffix = "/score";

Response JsonResponse(int status, const Json& body) {
  // Stored values are whatever the sources sent; bytes that are not UTF-8
  // are replaced rather than failing the whole answer.
  return {status,
          "application/json",
          body.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
          {}};
}

Response ErrorResponse(int status, std::string_view message) {
  return JsonResponse(status, Json{{"error", message}});
}

std::string Join(std::initializer_list<std::string_view> names) {
  std::string out;
  for (auto name : names) out += (out.empty() ? "" : ", ") + std::string(name);
  return out.empty() ? "none" : out;
}

// A 400 unless every parameter is one of `allowed` and given at most once.
std::optional<Response> CheckParams(const Params& params,
                                    std::initializer_list<std::string_view> allowed) {
  for (auto it = params.begin(); it != params.end(); it = params.upper_bound(it->first)) {
    if (std::find(allowed.begin(), allowed.end(), it->first) == allowed.end())
      return ErrorResponse(
          400, "unknown parameter \"" + it->first + "\"; this endpoint takes: " + Join(allowed));
    if (params.count(it->first) > 1)
      return ErrorResponse(400, "parameter \"" + it->first + "\" given more than once");
  }
  return std::nullopt;
}

std::optional<std::string> Param(const Params& params, const std::string& name) {
  auto it = params.find(name);
  if (it == params.end()) return std::nullopt;
  return it->second;
}

// A positive decimal integer, nothing else (no sign, no spaces).
std::optional<uint64_t> ParsePositive(std::string_view text) {
  uint64_t value = 0;
  if (text.empty() ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value == 0) return std::nullopt;
  return value;
}

// The "limit" parameter into `limit`: everything when absent, a 400 when
// it is not a positive integer.
std::optional<Response> ReadLimit(const Params& params, uint64_t& limit) {
  limit = std::numeric_limits<uint64_t>::max();
  auto text = Param(params, "limit");
  if (!text) return std::nullopt;
  auto parsed = ParsePositive(*text);
  if (!parsed)
    return ErrorResponse(400,
                         "parameter \"limit\" must be a positive integer, got \"" + *text + "\"");
  limit = *parsed;
  return std::nullopt;
}

Response NoSuchPath(std::string_view path) {
  return ErrorResponse(404, "no such path: " + std::string(path) +
                                " (endpoints: /v1/customers/{id}, /v1/customers?email=, "
                                "/v1/customers/{id}/timeline, /v1/customers/{id}/audit, "
                                "/v1/customers/{id}/score, "
                                "/v1/deals/{system}:{deal id}, "
                                "/v1/accounts/{system}:{account id}, /v1/campaigns/{id}, "
                                "/v1/campaigns?model=, /v1/reactivation, /v1/funnel, /healthz, "
                                "/readyz, /metrics)");
}

Json CustomerWithDeals(const query::StateQuery& query,
                       const query::StateQuery::Customer& customer) {
  Json json = query::CustomerJson(customer.state);
  Json deals = Json::array();
  for (const auto& deal : query.DealsOf(customer)) {
    Json rendered = query::DealJson(deal);
    // The deal may name a customer since merged into this one.
    rendered["customer_id"] = customer.state.customer_id();
    deals.push_back(std::move(rendered));
  }
  json["deals"] = std::move(deals);
  return json;
}

}  // namespace

Routes::Routes(const store::Store& store, std::function<bool()> ready,
               const metrics::Registry& registry)
    : store_(store), ready_(std::move(ready)), registry_(registry) {}

Routes::Kind Routes::Classify(std::string_view path) {
  if (path == "/healthz" || path == "/readyz") return {http::Access::kOpen, true};
  if (path == "/metrics") return {http::Access::kAggregate, false};
  const bool personal = path.starts_with(kCustomers) || path.starts_with(kDeals) ||
                        path.starts_with(kAccounts) || path == kReactivation;
  return {personal ? http::Access::kRead : http::Access::kAggregate, false};
}

Response Routes::Get(std::string_view path, const Params& params) const {
  try {
    return Dispatch(path, params);
  } catch (const std::exception& e) {
    spdlog::error("GET {} failed: {}", path, e.what());
    return ErrorResponse(500, std::string("internal error: ") + e.what());
  } catch (...) {
    spdlog::error("GET {} failed", path);
    return ErrorResponse(500, "internal error");
  }
}

Response Routes::Dispatch(std::string_view path, const Params& params) const {
  if (path == "/healthz") return JsonResponse(200, Json{{"status", "ok"}});
  if (path == "/readyz") {
    return ready_ && ready_() ? JsonResponse(200, Json{{"status", "ready"}})
                              : JsonResponse(503, Json{{"status", "catching up"}});
  }
  if (path == "/metrics") return {200, "text/plain; version=0.0.4", registry_.RenderText(), {}};
  if (path == "/v1/funnel") return Funnel(params);
  if (path == kCampaignRanking) return CampaignRanking(params);
  if (path == kReactivation) return Reactivation(params);
  if (path == kCustomers) return CustomerByEmail(params);
  if (path.starts_with(kCustomers) && path.size() > kCustomers.size() + 1 &&
      path[kCustomers.size()] == '/') {
    std::string_view rest = path.substr(kCustomers.size() + 1);
    auto slash = rest.find('/');
    if (slash == std::string_view::npos) return CustomerById(std::string(rest), params);
    if (slash > 0 && rest.substr(slash) == kTimelineSuffix)
      return Timeline(std::string(rest.substr(0, slash)), params);
    if (slash > 0 && rest.substr(slash) == kAuditSuffix)
      return Audit(std::string(rest.substr(0, slash)), params);
    if (slash > 0 && rest.substr(slash) == kScoreSuffix)
      return Score(std::string(rest.substr(0, slash)), params);
    return NoSuchPath(path);
  }
  // Deal and campaign ids are the rest of the path: they may hold any
  // character, '/' included (sent as %2F).
  if (path.starts_with(kDeals) && path.size() > kDeals.size())
    return DealByKey(std::string(path.substr(kDeals.size())), params);
  if (path.starts_with(kCampaigns) && path.size() > kCampaigns.size())
    return Campaign(std::string(path.substr(kCampaigns.size())), params);
  if (path.starts_with(kAccounts) && path.size() > kAccounts.size())
    return AccountByKey(std::string(path.substr(kAccounts.size())), params);
  return NoSuchPath(path);
}

Response Routes::CustomerById(const std::string& id, const Params& params) const {
  if (auto bad = CheckParams(params, {})) return *bad;
  query::StateQuery query(store_);
  auto customer = query.ById(id);
  if (!customer) return ErrorResponse(404, "no customer with id " + id);
  return JsonResponse(200, CustomerWithDeals(query, *customer));
}

Response Routes::CustomerByEmail(const Params& params) const {
  if (auto bad = CheckParams(params, {"email"})) return *bad;
  auto email = Param(params, "email");
  if (!email)
    return ErrorResponse(400, "missing parameter \"email\": GET /v1/customers?email=<address>");
  auto key = events::EmailIdentityKey(*email);
  if (!key) {
    auto normalised = events::NormaliseEmail(*email);
    std::string why = normalised ? " (a placeholder or test address: never matched)" : "";
    // A '+' in a query string is a space; a real '+' is sent as %2B.
    if (!normalised &&
        email->find(' ', email->find_first_not_of(' ')) < email->find_last_not_of(' '))
      why = " (a '+' in the address must be sent as %2B)";
    return ErrorResponse(400, "not a usable e-mail address: \"" + *email + "\"" + why);
  }
  query::StateQuery query(store_);
  auto customer = query.ByIdentity(*key);
  if (!customer) return ErrorResponse(404, "no customer with e-mail " + key->substr(6));
  return JsonResponse(200, CustomerWithDeals(query, *customer));
}

Response Routes::Score(const std::string& id, const Params& params) const {
  if (auto bad = CheckParams(params, {})) return *bad;
  query::StateQuery query(store_);
  auto customer = query.ById(id);
  if (!customer) return ErrorResponse(404, "no customer with id " + id);
  auto score = query.ScoreOf(*customer);
  if (!score)
    return ErrorResponse(404, "no score for customer " + customer->state.customer_id() +
                                  " (scores are served by accord feedback)");
  return JsonResponse(200, query::ScoreJson(*score, customer->state));
}

Response Routes::Timeline(const std::string& id, const Params& params) const {
  if (auto bad = CheckParams(params, {"limit", "order"})) return *bad;
  uint64_t limit = 0;
  if (auto bad = ReadLimit(params, limit)) return *bad;
  bool newest_first = false;
  if (auto order = Param(params, "order")) {
    if (*order != "asc" && *order != "desc")
      return ErrorResponse(
          400, "parameter \"order\" must be \"asc\" or \"desc\", got \"" + *order + "\"");
    newest_first = *order == "desc";
  }
  query::StateQuery query(store_);
  auto customer = query.ById(id);
  if (!customer) return ErrorResponse(404, "no customer with id " + id);
  auto items = query.TimelineOf(*customer);
  if (newest_first) std::reverse(items.begin(), items.end());
  size_t count = std::min<uint64_t>(limit, items.size());
  Json entries = Json::array();
  for (size_t i = 0; i < count; ++i)
    entries.push_back(query::TimelineEntryJson(items[i].entry, items[i].customer_id));
  Json out = {{"customer_id", customer->state.customer_id()},
              {"merged_customer_ids", customer->state.merged_customer_ids()},
              {"total", items.size()},
              {"entries", std::move(entries)}};
  return JsonResponse(200, out);
}

Response Routes::Audit(const std::string& id, const Params& params) const {
  if (auto bad = CheckParams(params, {"at"})) return *bad;
  std::optional<int64_t> at_ms;
  if (auto at = Param(params, "at")) {
    at_ms = ParseIsoTimestampMs(*at);
    // A '+' in a query string is a space: an offset is sent as %2B.
    if (!at_ms)
      return ErrorResponse(400,
                           "parameter \"at\" must be an RFC 3339 time "
                           "(2025-03-14T09:30:00Z; send a '+' offset as %2B), got \"" +
                               *at + "\"");
  }
  audit::Subject subject;
  subject.customer_id = id;
  auto trail = audit::AuditCustomer(query::StateQuery(store_), subject, at_ms);
  if (!trail) return ErrorResponse(404, "no customer with id " + id);
  return JsonResponse(200, audit::AuditJson(*trail));
}

Response Routes::AccountByKey(const std::string& key, const Params& params) const {
  if (auto bad = CheckParams(params, {})) return *bad;
  auto account = query::StateQuery(store_).AccountByKey(key);
  if (!account) {
    return ErrorResponse(
        404, "no account with id " + key +
                 (key.find(':') == std::string::npos
                      ? " (account ids are \"<system>:<account id>\", e.g. crm:001A000001)"
                      : ""));
  }
  return JsonResponse(200, query::AccountJson(*account));
}

Response Routes::DealByKey(const std::string& key, const Params& params) const {
  if (auto bad = CheckParams(params, {})) return *bad;
  query::StateQuery query(store_);
  auto deal = query.DealByKey(key);
  if (!deal) {
    return ErrorResponse(404, "no deal with id " + key +
                                  (key.find(':') == std::string::npos
                                       ? " (deal ids are \"<system>:<deal id>\", e.g. crm:D-1001)"
                                       : ""));
  }
  Json json = query::DealJson(deal->state);
  if (!deal->customer_id.empty()) json["customer_id"] = deal->customer_id;
  return JsonResponse(200, json);
}

Response Routes::Campaign(const std::string& id, const Params& params) const {
  if (auto bad = CheckParams(params, {})) return *bad;
  query::StateQuery query(store_);
  auto campaign = query.CampaignById(id);
  auto effect = query.CampaignEffectOf(id);
  if (!campaign && !effect) return ErrorResponse(404, "no campaign with id " + id);
  Json json = query::CampaignJson(id, campaign ? campaign->definition : std::nullopt,
                                  campaign ? campaign->counts_by_kind : std::vector<uint64_t>());
  if (effect) {
    Json models = Json::array();
    for (const auto& totals : effect->models())
      models.push_back(query::EffectivenessJson(feedback::Effectiveness(*effect, totals)));
    json["effectiveness"] = std::move(models);
  }
  return JsonResponse(200, json);
}

Response Routes::CampaignRanking(const Params& params) const {
  if (auto bad = CheckParams(params, {"model", "limit"})) return *bad;
  const std::string model_name = Param(params, "model").value_or("linear");
  auto model = query::ParseAttributionModel(model_name);
  if (!model)
    return ErrorResponse(
        400, "unknown attribution model \"" + model_name + "\" (first_touch, last_touch, linear)");
  uint64_t limit = 0;
  if (auto bad = ReadLimit(params, limit)) return *bad;
  return JsonResponse(200, query::CampaignRankingJson(query::StateQuery(store_), *model, limit));
}

Response Routes::Reactivation(const Params& params) const {
  if (auto bad = CheckParams(params, {"limit"})) return *bad;
  uint64_t limit = 0;
  if (auto bad = ReadLimit(params, limit)) return *bad;
  return JsonResponse(200, query::ReactivationListJson(query::StateQuery(store_), limit));
}

Response Routes::Funnel(const Params& params) const {
  if (auto bad = CheckParams(params, {})) return *bad;
  query::StateQuery query(store_);
  auto funnel = query.FunnelTotals();
  return JsonResponse(200, query::FunnelJson(funnel.current, funnel.entered));
}

}  // namespace accord::api
