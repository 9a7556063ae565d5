#include "services/api/http_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "services/api/testing/state_builder.h"

namespace accord::api {
namespace {

using namespace accord::api::testing;
using ::testing::HasSubstr;
using Json = nlohmann::json;

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    builder_.Fold(
        "events", 0,
        {Contact({.record = "m1", .email = "anna@firma.de", .stage = v1::LIFECYCLE_STAGE_MQL})});
    builder_.Fold(
        "events", 1,
        {Contact({.record = "m2", .email = "bernd@firma.de", .stage = v1::LIFECYCLE_STAGE_MQL})});
    registry_.GetCounter("accord_test_requests_total", "A test counter").Add(7);
    options_.principals = {{"dashboard", http::Access::kAggregate, kAggregateToken},
                           {"auditor", http::Access::kRead, kReadToken}};
  }

  httplib::Client Client(int port, const char* token) {
    httplib::Client client("127.0.0.1", port);
    if (token) client.set_bearer_token_auth(token);
    return client;
  }

  static constexpr char kAggregateToken[] = "aggregate-token-0123456789";
  static constexpr char kReadToken[] = "read-token-0123456789";
  http::ServerOptions options_;

  TempDir dir_;
  StateBuilder builder_{dir_.Sub("state")};
  metrics::Registry registry_;
  std::atomic<bool> ready_{false};
};

TEST_F(HttpServerTest, ServesRealRequests) {
  HttpServer server(
      builder_.store(), [this] { return ready_.load(); }, registry_, options_);
  server.Start("127.0.0.1", 0);
  ASSERT_GT(server.port(), 0);
  auto client = Client(server.port(), kReadToken);

  auto health = client.Get("/healthz");
  ASSERT_TRUE(health) << httplib::to_string(health.error());
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(Json::parse(health->body), Json({{"status", "ok"}}));

  auto not_ready = client.Get("/readyz");
  ASSERT_TRUE(not_ready);
  EXPECT_EQ(not_ready->status, 503);
  ready_ = true;
  EXPECT_EQ(client.Get("/readyz")->status, 200);

  auto funnel = client.Get("/v1/funnel");
  ASSERT_TRUE(funnel);
  EXPECT_EQ(funnel->status, 200);
  EXPECT_EQ(funnel->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(Json::parse(funnel->body)["current"]["mql"], 2);

  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_EQ(metrics->get_header_value("Content-Type"), "text/plain; version=0.0.4");
  EXPECT_THAT(metrics->body, HasSubstr("accord_test_requests_total 7"));

  auto by_email = client.Get("/v1/customers?email=Anna%40Firma.de");
  ASSERT_TRUE(by_email);
  EXPECT_EQ(by_email->status, 200);
  EXPECT_EQ(Json::parse(by_email->body)["lifecycle_stage"], "mql");

  auto missing = client.Get("/v1/customers/nobody");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->get_header_value("Content-Type"), "application/json");
  EXPECT_THAT(Json::parse(missing->body)["error"].get<std::string>(), HasSubstr("nobody"));

  auto bad_limit = client.Get("/v1/customers/nobody/timeline?limit=x");
  ASSERT_TRUE(bad_limit);
  EXPECT_EQ(bad_limit->status, 400);

  auto head = client.Head("/healthz");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());

  auto anonymous = Client(server.port(), nullptr);
  EXPECT_EQ(anonymous.Get("/healthz")->status, 200);
  EXPECT_EQ(anonymous.Get("/v1/funnel")->status, 401);
  EXPECT_EQ(anonymous.Get("/v1/customers?email=anna%40firma.de")->status, 401);
  EXPECT_EQ(anonymous.Get("/metrics")->status, 200) << "http.metrics_access is open by default";
  auto dashboard = Client(server.port(), kAggregateToken);
  EXPECT_EQ(dashboard.Get("/v1/funnel")->status, 200);
  EXPECT_EQ(dashboard.Get("/v1/customers?email=anna%40firma.de")->status, 403);
  EXPECT_EQ(dashboard.Get("/v1/reactivation")->status, 403);
  // Without AcceptSnapshots there is nothing to POST to.
  EXPECT_EQ(
      Client(server.port(), kReadToken).Post("/v1/snapshots", "{}", "application/json")->status,
      405);

  auto post = client.Post("/v1/funnel", "{}", "application/json");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(post->get_header_value("Allow"), "GET, HEAD");
  EXPECT_EQ(post->get_header_value("Content-Type"), "application/json");
  EXPECT_THAT(Json::parse(post->body)["error"].get<std::string>(), HasSubstr("POST"));

  server.Stop();
  EXPECT_FALSE(client.Get("/healthz"));
  server.Stop();  // twice is harmless
}

TEST_F(HttpServerTest, RefusesToStartWithoutTokensUnlessInsecureOnLoopback) {
  HttpServer unprotected(
      builder_.store(), [] { return true; }, registry_, http::ServerOptions{});
  try {
    unprotected.Start("127.0.0.1", 0);
    FAIL() << "served without credentials";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("--insecure-no-auth"));
  }
  http::ServerOptions insecure;
  insecure.insecure_no_auth = true;
  HttpServer open(
      builder_.store(), [] { return true; }, registry_, insecure);
  open.Start("127.0.0.1", 0);
  EXPECT_EQ(Client(open.port(), nullptr).Get("/v1/customers?email=anna%40firma.de")->status, 200);
}

TEST_F(HttpServerTest, SnapshotsNeedTheAdminRoleAndJson) {
  options_.principals.push_back({"ops", http::Access::kAdmin, "admin-token-0123456789"});
  HttpServer server(
      builder_.store(), [] { return true; }, registry_, options_);
  std::vector<std::string> taken;
  server.AcceptSnapshots([&taken](const std::string& body) {
    taken.push_back(body);
    return Response{201, "application/json", "{}", {}};
  });
  server.Start("127.0.0.1", 0);
  EXPECT_EQ(Client(server.port(), nullptr).Post("/v1/snapshots", "{}", "application/json")->status,
            401);
  EXPECT_EQ(
      Client(server.port(), kReadToken).Post("/v1/snapshots", "{}", "application/json")->status,
      403);
  auto admin = Client(server.port(), "admin-token-0123456789");
  EXPECT_EQ(admin.Post("/v1/snapshots", R"({"path":"/tmp/x"})", "text/plain")->status, 415);
  EXPECT_EQ(admin
                .Post("/v1/snapshots", {{"Origin", "https://evil.example"}}, R"({"path":"/tmp/x"})",
                      "application/json")
                ->status,
            403);
  EXPECT_EQ(admin.Get("/v1/snapshots")->status, 405);
  EXPECT_TRUE(taken.empty());
  EXPECT_EQ(admin.Post("/v1/snapshots", R"({"path":"/tmp/x"})", "application/json")->status, 201);
  EXPECT_EQ(taken, std::vector<std::string>{R"({"path":"/tmp/x"})"});
}

TEST_F(HttpServerTest, APortInUseFailsNamingTheAddress) {
  HttpServer first(
      builder_.store(), [] { return true; }, registry_, options_);
  first.Start("127.0.0.1", 0);
  HttpServer second(
      builder_.store(), [] { return true; }, registry_, options_);
  try {
    second.Start("127.0.0.1", first.port());
    FAIL() << "a second server bound port " << first.port();
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("127.0.0.1:" + std::to_string(first.port())));
    EXPECT_THAT(e.what(), HasSubstr("already in use"));
  }
  // The first one still answers.
  httplib::Client client("127.0.0.1", first.port());
  auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

TEST_F(HttpServerTest, StopRightAfterStartReturns) {
  for (int i = 0; i < 20; ++i) {
    HttpServer server(
        builder_.store(), [] { return true; }, registry_, options_);
    server.Start("127.0.0.1", 0);
    server.Stop();
  }
}

}  // namespace
}  // namespace accord::api
