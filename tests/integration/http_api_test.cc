// The query API served by a running projection, through the real broker and
// RocksDB: readiness, customers, timeline, funnel, metrics.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "tests/integration/harness.h"

namespace accord::testing {
namespace {

TEST(HttpApi, RunningProjectionAnswersQueries) {
  auto topics = CreateTopics("http", 3);
  const int64_t t0 = 1735689600000;
  std::vector<v1::Event> events = {
      ContactEvent("marketing", "M-1", 1, t0, "jürgen.weiss@example-gmbh.de", "Weiß"),
      ContactEvent("crm", "003-1", 1, t0 + 1000, " Jürgen.Weiss@Example-GmbH.de ", "Weiss"),
      EngagementEvent("marketing", "E-1", t0 + 2000, "jürgen.weiss@example-gmbh.de", "C-7"),
  };
  PublishEvents(topics, events);
  PublishRaw(topics, "email:x@firma.de", "not an event");

  TempDir dir;
  AccordProcess projector({"project", "--db", dir / "state"}, topics.prefix);
  int port = 0;
  ASSERT_TRUE(WaitUntil(
      [&] { return (port = ServedPort(projector, "the HTTP API")) > 0 || !projector.Running(); },
      std::chrono::seconds(60)))
      << projector.Stderr();
  ASSERT_GT(port, 0) << projector.Stderr();
  httplib::Client client("127.0.0.1", port);
  client.set_bearer_token_auth(kReadToken);
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto ready = client.Get("/readyz");
        return ready && ready->status == 200;
      },
      std::chrono::seconds(60)))
      << projector.Stderr();

  auto found = client.Get("/v1/customers?email=J%C3%BCrgen.Weiss%40example-gmbh.de");
  ASSERT_TRUE(found);
  ASSERT_EQ(found->status, 200) << found->body;
  auto customer = nlohmann::json::parse(found->body);
  EXPECT_EQ(customer["aliases"].size(), 3u) << found->body;
  EXPECT_EQ(customer["fields"]["last_name"]["value"], "Weiss");
  EXPECT_EQ(customer["applied_events"], 3);

  auto timeline = client.Get("/v1/customers/" + customer["id"].get<std::string>() + "/timeline");
  ASSERT_TRUE(timeline);
  ASSERT_EQ(timeline->status, 200) << timeline->body;
  EXPECT_EQ(nlohmann::json::parse(timeline->body)["entries"].size(), 3u) << timeline->body;

  auto missing = client.Get("/v1/customers/c-does-not-exist");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_TRUE(nlohmann::json::parse(missing->body).contains("error"));

  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("accord_projection_events_total{topic=\"" + topics.names.events +
                               "\",outcome=\"applied\"} 3"),
            std::string::npos)
      << metrics->body;
  EXPECT_NE(metrics->body.find("accord_projection_deadletters_total{reason=\"not_protobuf\"} 1"),
            std::string::npos)
      << metrics->body;

  projector.Kill(SIGTERM);
  EXPECT_EQ(projector.Wait(), 0) << projector.Stderr();
}

}  // namespace
}  // namespace accord::testing
