#include "connectors/webhook/server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "connectors/publish/testing/recorded_transactions.h"
#include "connectors/signing/signature.h"
#include "connectors/webhook/accord_format.h"

namespace accord::connectors::webhook {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;
using Message = kafka::TransactionalPublisher::Message;

constexpr char kSecret[] = "s3cret";
constexpr int64_t kNowMs = 1735689600000;
constexpr size_t kMaxMessageBytes = 4000;
const std::string kChange =
    R"([{"eventId":1,"subscriptionType":"contact.propertyChange","objectId":42,)"
    R"("occurredAt":1735689500000,"propertyName":"email","propertyValue":"anna@firma.de"}])";

kafka::Config KafkaConfig() {
  kafka::Config config;
  config.topic_prefix = "it";
  config.properties["message.max.bytes"] = std::to_string(kMaxMessageBytes);
  return config;
}

http::Request Signed(const std::string& target, const std::string& body,
                     int64_t signed_at_ms = kNowMs, const std::string& secret = kSecret) {
  http::Request request;
  request.method = "POST";
  request.target = target;
  std::string error;
  auto parsed = http::ParseTarget(target, error);
  EXPECT_TRUE(parsed) << error;
  if (parsed) {
    request.path = parsed->path;
    request.params = parsed->params;
  }
  const std::string timestamp = std::to_string(signed_at_ms / 1000);
  request.headers = {
      {"x-accord-timestamp", timestamp},
      {"x-accord-signature", signing::Sign(secret, "POST", target, timestamp, body)}};
  request.body = body;
  return request;
}

class ReceiverTest : public ::testing::Test {
 protected:
  uint64_t Counter(const std::string& name, const metrics::Labels& labels) {
    return registry_.GetCounter(name, "", labels).value();
  }

  testing::RecordedTransactions transactions_;
  metrics::Registry registry_;
  EventSink sink_{KafkaConfig(), "webhook", transactions_.Commit(), &registry_};
  Receiver receiver_{{kSecret, "marketing", std::chrono::seconds(10), ""}, sink_, registry_};
  const AccordFormat changes_{Shape::kChanges};
  const AccordFormat forms_{Shape::kForms};
};

TEST_F(ReceiverTest, DuringARotationEitherSecretIsAccepted) {
  Receiver rotating{
      {"new-secret", "marketing", std::chrono::seconds(10), kSecret}, sink_, registry_};
  auto signed_with = [&](const std::string& secret) {
    return rotating.Handle(changes_, Signed("/v1/hooks/changes", kChange, kNowMs, secret), kNowMs)
        .status;
  };
  EXPECT_EQ(signed_with("new-secret"), 200);
  EXPECT_EQ(signed_with(kSecret), 200);
  EXPECT_EQ(signed_with("some-other-secret"), 401);
  // Without a previous secret the old one is refused.
  EXPECT_EQ(receiver_.Handle(changes_, Signed("/v1/hooks/changes", kChange), kNowMs).status, 200);
  EXPECT_EQ(
      receiver_.Handle(changes_, Signed("/v1/hooks/changes", kChange, kNowMs, "new-secret"), kNowMs)
          .status,
      401);
}

TEST_F(ReceiverTest, ASignedBatchIsPublishedInOneTransaction) {
  auto answer = receiver_.Handle(changes_, Signed("/v1/hooks/changes", kChange), kNowMs);
  ASSERT_EQ(answer.status, 200) << answer.body;
  ASSERT_EQ(transactions_.batches.size(), 1u);
  ASSERT_EQ(transactions_.batches[0].size(), 1u);
  const Message& message = transactions_.batches[0][0];
  EXPECT_EQ(message.topic, "it.events");
  EXPECT_EQ(message.key, "email:anna@firma.de");
  v1::Event event;
  ASSERT_TRUE(event.ParseFromString(message.value));
  EXPECT_EQ(event.event_id(), message.id);
  EXPECT_EQ(event.source_system(), "marketing");

  auto body = Json::parse(answer.body);
  EXPECT_EQ(body["published"], 1);
  EXPECT_EQ(body["events"], Json::array({message.id}));
  EXPECT_EQ(Counter("accord_webhook_events_total", {{"outcome", "published"}}), 1u);
}

TEST_F(ReceiverTest, TheSourceComesFromTheSignedQuery) {
  auto answer = receiver_.Handle(changes_, Signed("/v1/hooks/changes?source=crm", kChange), kNowMs);
  ASSERT_EQ(answer.status, 200) << answer.body;
  v1::Event event;
  ASSERT_TRUE(event.ParseFromString(transactions_.batches.at(0).at(0).value));
  EXPECT_EQ(event.source_system(), "crm");
  auto bad =
      receiver_.Handle(changes_, Signed("/v1/hooks/changes?source=CRM%20EU", kChange), kNowMs);
  EXPECT_EQ(bad.status, 400);
}

TEST_F(ReceiverTest, BadSignaturesAreRefusedAndCounted) {
  auto forged = Signed("/v1/hooks/changes", kChange);
  forged.body = kChange + " ";
  auto answer = receiver_.Handle(changes_, forged, kNowMs);
  EXPECT_EQ(answer.status, 401);
  EXPECT_THAT(Json::parse(answer.body)["error"].get<std::string>(), HasSubstr("does not match"));

  auto stale =
      receiver_.Handle(changes_, Signed("/v1/hooks/changes", kChange, kNowMs), kNowMs + 301'000);
  EXPECT_EQ(stale.status, 401);
  EXPECT_THAT(Json::parse(stale.body)["error"].get<std::string>(), HasSubstr("stale"));

  auto unsigned_post = Signed("/v1/hooks/changes", kChange);
  unsigned_post.headers.pop_back();
  EXPECT_EQ(receiver_.Handle(changes_, unsigned_post, kNowMs).status, 401);

  EXPECT_TRUE(transactions_.batches.empty());
  EXPECT_EQ(Counter("accord_webhook_signature_failures_total", {{"reason", "mismatch"}}), 1u);
  EXPECT_EQ(Counter("accord_webhook_signature_failures_total", {{"reason", "stale"}}), 1u);
  EXPECT_EQ(Counter("accord_webhook_signature_failures_total", {{"reason", "missing"}}), 1u);
}

TEST_F(ReceiverTest, RefusedBodiesPublishNothing) {
  auto malformed = receiver_.Handle(changes_, Signed("/v1/hooks/changes", "[{"), kNowMs);
  EXPECT_EQ(malformed.status, 400);
  EXPECT_THAT(Json::parse(malformed.body)["error"].get<std::string>(), HasSubstr("malformed JSON"));

  const std::string invalid = R"([{"submittedAt":1735689600000,"campaignId":"c"}])";
  auto answer = receiver_.Handle(forms_, Signed("/v1/hooks/forms", invalid), kNowMs);
  EXPECT_EQ(answer.status, 400);
  auto body = Json::parse(answer.body);
  EXPECT_EQ(body["item"], 0);
  EXPECT_EQ(body["field"], "email");
  EXPECT_TRUE(transactions_.batches.empty());
}

TEST_F(ReceiverTest, WhenKafkaDoesNotTakeTheEventsTheSenderIsToldToRetry) {
  transactions_.next.committed = false;
  transactions_.next.error = "Broker: transport failure";
  auto answer = receiver_.Handle(changes_, Signed("/v1/hooks/changes", kChange), kNowMs);
  EXPECT_EQ(answer.status, 503);
  EXPECT_EQ(answer.retry_after_seconds, 10);
  EXPECT_THAT(Json::parse(answer.body)["error"].get<std::string>(),
              HasSubstr("nothing of this request is published"));
  EXPECT_EQ(Counter("accord_webhook_events_total", {{"outcome", "published"}}), 0u);
}

TEST_F(ReceiverTest, AnEventLargerThanKafkaTakesIsRefusedFor413WithoutRetry) {
  // Two contacts; the second's company name alone is over the limit.
  const std::string body =
      R"([{"eventId":1,"subscriptionType":"contact.creation","objectId":41,)"
      R"("occurredAt":1735689500000,"properties":{"email":"ben@firma.de"}},)"
      R"({"eventId":2,"subscriptionType":"contact.creation","objectId":42,)"
      R"("occurredAt":1735689500000,"properties":{"email":"anna@firma.de","company":")" +
      std::string(kMaxMessageBytes, 'x') + R"("}}])";
  auto answer = receiver_.Handle(changes_, Signed("/v1/hooks/changes", body), kNowMs);
  EXPECT_EQ(answer.status, 413) << answer.body;
  EXPECT_FALSE(answer.retry_after_seconds);
  auto json = Json::parse(answer.body);
  EXPECT_THAT(json["error"].get<std::string>(),
              HasSubstr("exceeds the Kafka message limit of 4000 bytes (message.max.bytes)"));
  EXPECT_GT(json["bytes"].get<size_t>(), kMaxMessageBytes);
  EXPECT_EQ(json["limit"], kMaxMessageBytes);
  EXPECT_TRUE(transactions_.batches.empty())
      << "no transaction begins for a request Kafka cannot take";
  EXPECT_EQ(Counter("accord_webhook_events_total", {{"outcome", "published"}}), 0u);
}

TEST_F(ReceiverTest, IgnoredItemsAreReportedAndNothingIsPublishedForThem) {
  const std::string body =
      R"([{"eventId":1,"subscriptionType":"ticket.creation","objectId":1,"occurredAt":1})";
  auto answer = receiver_.Handle(changes_, Signed("/v1/hooks/changes", body + "]"), kNowMs);
  ASSERT_EQ(answer.status, 200) << answer.body;
  auto json = Json::parse(answer.body);
  EXPECT_EQ(json["published"], 0);
  ASSERT_EQ(json["ignored"].size(), 1u);
  EXPECT_EQ(json["ignored"][0]["item"], 0);
  EXPECT_TRUE(transactions_.batches.empty());
  EXPECT_EQ(Counter("accord_webhook_items_ignored_total", {}), 1u);
}

TEST_F(ReceiverTest, AccordsOwnWriteBacksAreIgnoredAndCountedAsOwnWrites) {
  const std::string body =
      R"([{"eventId":1,"subscriptionType":"contact.propertyChange","objectId":42,)"
      R"("occurredAt":1735689500000,"propertyName":"city","propertyValue":"Bonn",)"
      R"("changeSource":"accord"}])";
  auto answer = receiver_.Handle(changes_, Signed("/v1/hooks/changes", body), kNowMs);
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(Json::parse(answer.body)["ignored"].size(), 1u);
  EXPECT_TRUE(transactions_.batches.empty());
  EXPECT_EQ(Counter("accord_webhook_items_ignored_total", {}), 1u);
  EXPECT_EQ(Counter("accord_connector_events_total",
                    {{"connector", "webhook"}, {"outcome", "own_write"}}),
            1u);
}

class WebhookServerTest : public ReceiverTest {
 protected:
  void SetUp() override {
    ReceiverTest::SetUp();
    server_.Start("127.0.0.1", 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_.port());
  }

  httplib::Result Post(const std::string& target, const std::string& body) {
    auto signed_post = Signed(target, body, NowMs());
    httplib::Headers headers(signed_post.headers.begin(), signed_post.headers.end());
    return client_->Post(target, headers, body, "application/json");
  }

  static int64_t NowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  WebhookServer server_{receiver_, registry_, 4096, http::ServerOptions{}};
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(WebhookServerTest, ServesTheHooksOverHttp) {
  auto posted = Post("/v1/hooks/changes?source=crm", kChange);
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->status, 200) << posted->body;
  ASSERT_EQ(transactions_.batches.size(), 1u);
  // The signature covers the target as sent; the parameter is read decoded.
  auto encoded = Post("/v1/hooks/changes?source=cr%6D", kChange);
  ASSERT_TRUE(encoded);
  EXPECT_EQ(encoded->status, 200) << encoded->body;
  v1::Event event;
  ASSERT_TRUE(event.ParseFromString(transactions_.batches.at(1).at(0).value));
  EXPECT_EQ(event.source_system(), "crm");

  auto health = client_->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);

  auto wrong_method = client_->Get("/v1/hooks/changes");
  ASSERT_TRUE(wrong_method);
  EXPECT_EQ(wrong_method->status, 405);
  EXPECT_EQ(wrong_method->get_header_value("Allow"), "POST");
  auto unknown = Post("/v1/hooks/other", "[]");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_TRUE(Json::parse(unknown->body).contains("error"));

  // A request is counted once answered, so the count of the last one may
  // lag behind the client by a moment.
  const std::vector<std::string> counted = {
      R"(accord_webhook_requests_total{path="/v1/hooks/changes",status="200"} 2)",
      R"(accord_webhook_requests_total{path="/v1/hooks/changes",status="405"} 1)",
      R"(accord_webhook_requests_total{path="other",status="404"} 1)"};
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  auto all_counted = [&] {
    auto metrics = client_->Get("/metrics");
    text = metrics ? metrics->body : "";
    return std::all_of(counted.begin(), counted.end(), [&](const std::string& line) {
      return text.find(line) != std::string::npos;
    });
  };
  while (!all_counted() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  for (const auto& line : counted) EXPECT_THAT(text, HasSubstr(line));
}

TEST_F(WebhookServerTest, OversizeBodiesAreRefusedBeforeTheyAreRead) {
  auto refused = Post("/v1/hooks/changes", "[" + std::string(5000, ' ') + "]");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 413);
  EXPECT_THAT(Json::parse(refused->body)["error"].get<std::string>(), HasSubstr("4096 bytes"));
  EXPECT_TRUE(transactions_.batches.empty());
  auto fits = Post("/v1/hooks/changes", "[" + std::string(4000, ' ') + "]");
  ASSERT_TRUE(fits);
  EXPECT_EQ(fits->status, 200) << fits->body;
}

}  // namespace
}  // namespace accord::connectors::webhook
