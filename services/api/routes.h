#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "io/http/options.h"
#include "io/http/request.h"
#include "io/metrics/metrics.h"
#include "io/store/store.h"

namespace accord::api {

using Response = http::Response;
using Params = http::Params;

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

  // Who may GET `path` (docs/api.md): customers, their timelines, audit
  // trails, scores, deals, accounts and reactivation candidates name people
  // (read); funnel and campaign figures do not (aggregate); the probes are
  // open and cheap enough to answer on the I/O thread. Unknown paths need
  // aggregate, so that their 404 tells strangers nothing.
  struct Kind {
    http::Access access = http::Access::kAggregate;
    bool probe = false;
  };
  static Kind Classify(std::string_view path);

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
