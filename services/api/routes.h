#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "core/metrics/metrics.h"
#include "core/store/store.h"

namespace accord::api {

// One HTTP answer, independent of the HTTP library.
struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

// Query parameters, URL-decoded, as the HTTP library hands them over.
using Params = std::multimap<std::string, std::string>;

// The projection's HTTP API as pure functions of path and parameters, so it
// can be tested without a socket (docs/api.md):
//
//   /v1/customers/{id}            the unified customer with its deals
//   /v1/customers?email=          the same, found by e-mail
//   /v1/customers/{id}/timeline   its history, merged customers included
//   /v1/customers/{id}/audit      the same with the fold's decisions (?at=)
//   /v1/deals/{system}:{deal id}  one deal
//   /v1/campaigns/{id}            definition and engagement counts
//   /v1/funnel                    customers per lifecycle stage
//   /healthz, /readyz, /metrics   liveness, readiness, Prometheus text
//
// Every answer but /metrics is JSON; errors are {"error": "..."} with 400
// (bad parameters), 404 (unknown id or path) or 500 (unreadable state).
// Reads go to the store the projection writes; each request sees the shards
// the store holds at that moment.
class Routes {
 public:
  Routes(const store::Store& store, std::function<bool()> ready, const metrics::Registry& registry);

  // Answers a GET (or HEAD) of `path` (URL-decoded, without the query).
  // Never throws.
  Response Get(std::string_view path, const Params& params) const;

  // The answer to any other method.
  static Response MethodNotAllowed(std::string_view method);

  // A JSON error body for a status the HTTP library produced itself (bad
  // request line, payload too large, ...).
  static Response Error(int status, std::string_view message);

 private:
  Response Dispatch(std::string_view path, const Params& params) const;
  Response CustomerById(const std::string& id, const Params& params) const;
  Response CustomerByEmail(const Params& params) const;
  Response Timeline(const std::string& id, const Params& params) const;
  Response Audit(const std::string& id, const Params& params) const;
  Response Score(const std::string& id, const Params& params) const;
  Response DealByKey(const std::string& key, const Params& params) const;
  Response AccountByKey(const std::string& key, const Params& params) const;
  Response Campaign(const std::string& id, const Params& params) const;
  Response Funnel(const Params& params) const;
  Response CampaignRanking(const Params& params) const;
  Response Reactivation(const Params& params) const;

  const store::Store& store_;
  std::function<bool()> ready_;
  const metrics::Registry& registry_;
};

}  // namespace accord::api
