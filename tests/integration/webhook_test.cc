// `accord webhook` through the real broker: signed requests land in Kafka as
// events, refused ones publish nothing, and a request refused while Kafka is
// down is published once, however often it is sent again.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "domain/util/hash.h"
#include "io/kafka/client.h"
#include "tests/integration/harness.h"

namespace accord::testing {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;

constexpr char kSecret[] = "it-webhook-secret";

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// `accord webhook` on a free port, with the signing secret in its environment.
class WebhookProcess {
 public:
  WebhookProcess(const std::string& topic_prefix, std::map<std::string, std::string> env = {})
      : process_({"webhook", "--listen", "127.0.0.1:0"}, topic_prefix, WithSecret(std::move(env))) {
    WaitUntil(
        [&] {
          port_ = ServedPort(process_, "webhooks");
          return port_ > 0 || !process_.Running();
        },
        60s);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
    client_->set_read_timeout(30, 0);
  }

  int port() const { return port_; }
  AccordProcess& process() { return process_; }
  httplib::Client& client() { return *client_; }

  // A POST signed as docs/webhook.md says, `signed_at` seconds since the
  // epoch, with `secret`.
  httplib::Result Post(const std::string& target, const std::string& body,
                       int64_t signed_at = NowSeconds(), const std::string& secret = kSecret) {
    const std::string timestamp = std::to_string(signed_at);
    auto mac = HmacSha256(secret, "POST\n" + target + "\n" + timestamp + "\n" + body);
    httplib::Headers headers = {{"X-Accord-Timestamp", timestamp},
                                {"X-Accord-Signature", "v1=" + HexEncode(mac.data(), mac.size())}};
    return client_->Post(target, headers, body, "application/json");
  }

 private:
  static std::map<std::string, std::string> WithSecret(std::map<std::string, std::string> env) {
    env.emplace("ACCORD_WEBHOOK_SECRET", kSecret);
    return env;
  }

  AccordProcess process_;
  int port_ = 0;
  std::unique_ptr<httplib::Client> client_;
};

// Topic creation returns before the broker's metadata shows the topic, and
// `accord webhook` refuses to start without it: wait until it shows.
bool AwaitTopic(const kafka::Config& kafka, const std::string& topic) {
  auto conf = kafka::MakeConf(kafka, {});
  std::string error;
  std::unique_ptr<RdKafka::Producer> probe(RdKafka::Producer::create(conf.get(), error));
  if (!probe) throw std::runtime_error("cannot create Kafka client: " + error);
  return WaitUntil(
      [&] {
        try {
          kafka::RequireTopics(*probe, kafka, {topic});
          return true;
        } catch (const kafka::KafkaError&) {
          return false;
        }
      },
      30s);
}

// The ids of the events an accepted request carried, from its answer.
std::set<std::string> EventIds(const std::string& answer) {
  const Json parsed = Json::parse(answer);
  std::set<std::string> ids;
  for (const auto& id : parsed["events"]) ids.insert(id.get<std::string>());
  return ids;
}

// Every event in `topic` as a read_committed consumer (librdkafka's default,
// and the projection's) sees it, with its message key.
std::vector<std::pair<std::string, v1::Event>> CommittedEvents(const kafka::Config& kafka,
                                                               const std::string& topic) {
  auto conf = kafka::MakeConf(kafka, {{"group.id", topic + "-reader"},
                                      {"enable.auto.commit", "false"},
                                      {"enable.partition.eof", "true"},
                                      {"isolation.level", "read_committed"}});
  std::string error;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer) throw std::runtime_error("cannot create consumer: " + error);
  RdKafka::Metadata* raw = nullptr;
  if (consumer->metadata(true, nullptr, &raw, 10'000) != RdKafka::ERR_NO_ERROR)
    throw std::runtime_error("cannot read metadata of " + kafka.bootstrap_servers);
  std::unique_ptr<RdKafka::Metadata> metadata(raw);
  std::vector<RdKafka::TopicPartition*> partitions;
  for (const auto* known : *metadata->topics())
    if (known->topic() == topic)
      for (const auto* partition : *known->partitions())
        partitions.push_back(RdKafka::TopicPartition::create(topic, partition->id(),
                                                             RdKafka::Topic::OFFSET_BEGINNING));
  size_t open = partitions.size();
  EXPECT_GT(open, 0u) << "no topic " << topic;
  consumer->assign(partitions);
  RdKafka::TopicPartition::destroy(partitions);
  std::vector<std::pair<std::string, v1::Event>> events;
  while (open > 0) {
    std::unique_ptr<RdKafka::Message> message(consumer->consume(10'000));
    if (message->err() == RdKafka::ERR__PARTITION_EOF) {
      --open;
    } else if (message->err() == RdKafka::ERR_NO_ERROR) {
      v1::Event event;
      EXPECT_TRUE(event.ParseFromArray(message->payload(), static_cast<int>(message->len())));
      events.emplace_back(message->key() ? *message->key() : "", std::move(event));
    } else {
      ADD_FAILURE() << "reading " << topic << ": " << message->errstr();
      break;
    }
  }
  consumer->close();
  return events;
}

std::set<std::string> IdsOf(const std::vector<std::pair<std::string, v1::Event>>& events) {
  std::set<std::string> ids;
  for (const auto& [key, event] : events) ids.insert(event.event_id());
  return ids;
}

const std::string kChanges = R"([
  {"eventId":101,"subscriptionType":"contact.creation","objectId":847297356,
   "occurredAt":1735689600000,"attemptNumber":0},
  {"eventId":102,"subscriptionType":"contact.propertyChange","objectId":847297356,
   "occurredAt":1735689600000,"propertyName":"email","propertyValue":"Jana.Wolf@Stadtwerke-Nord.de"},
  {"eventId":103,"subscriptionType":"contact.propertyChange","objectId":847297356,
   "occurredAt":1735689600000,"propertyName":"lifecyclestage","propertyValue":"marketingqualifiedlead"},
  {"eventId":104,"subscriptionType":"deal.propertyChange","objectId":9001,
   "occurredAt":1735689700000,"propertyName":"dealstage","propertyValue":"closedwon",
   "email":"jana.wolf@stadtwerke-nord.de","properties":{"dealname":"Zähler 2025","amount":"48000"}},
  {"eventId":105,"subscriptionType":"contact.deletion","objectId":555,"occurredAt":1735689800000},
  {"eventId":106,"subscriptionType":"ticket.creation","objectId":7,"occurredAt":1735689800000}
])";

const std::string kSubmission = R"({"eventId":"sub-77","submittedAt":1735690000000,
  "email":"tom.berger@kanzlei-berger.de","formId":"kontakt","campaignId":"messe-2025",
  "fields":{"firstname":"Tom","lastname":"Berger","company":"Kanzlei Berger"}})";

TEST(Webhook, SignedRequestsLandInKafkaAndRefusedOnesPublishNothing) {
  auto topics = CreateTopics("webhook", 3);
  ASSERT_TRUE(AwaitTopic(KafkaConfigFor(topics.prefix), topics.names.events));
  WebhookProcess webhook(topics.prefix, {{"ACCORD_WEBHOOK_MAX_BODY_BYTES", "65536"}});
  ASSERT_GT(webhook.port(), 0) << webhook.process().Stderr();

  auto changes = webhook.Post("/v1/hooks/changes?source=crm", kChanges);
  ASSERT_TRUE(changes);
  ASSERT_EQ(changes->status, 200) << changes->body;
  auto answer = Json::parse(changes->body);
  EXPECT_EQ(answer["published"], 3) << changes->body;
  ASSERT_EQ(answer["ignored"].size(), 1u) << changes->body;
  EXPECT_EQ(answer["ignored"][0]["item"], 5);
  auto submission = webhook.Post("/v1/hooks/forms", kSubmission);
  ASSERT_TRUE(submission);
  ASSERT_EQ(submission->status, 200) << submission->body;
  EXPECT_EQ(Json::parse(submission->body)["published"], 2);

  // Refused: wrong secret, stale, too large, malformed, an invalid item.
  auto forged = webhook.Post("/v1/hooks/changes", kChanges, NowSeconds(), "guessed");
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 401) << forged->body;
  auto stale = webhook.Post("/v1/hooks/changes", kChanges, NowSeconds() - 600);
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->status, 401);
  EXPECT_NE(Json::parse(stale->body)["error"].get<std::string>().find("stale"), std::string::npos);
  auto oversize = webhook.Post("/v1/hooks/changes", "[" + std::string(70'000, ' ') + "]");
  ASSERT_TRUE(oversize);
  EXPECT_EQ(oversize->status, 413) << oversize->body;
  auto malformed = webhook.Post("/v1/hooks/changes", R"([{"eventId":1,)");
  ASSERT_TRUE(malformed);
  EXPECT_EQ(malformed->status, 400);
  EXPECT_NE(Json::parse(malformed->body)["error"].get<std::string>().find("malformed JSON"),
            std::string::npos);
  auto invalid = webhook.Post(
      "/v1/hooks/forms",
      R"([{"submittedAt":1735690000000,"email":"a@kanzlei-berger.de","campaignId":"c"},)"
      R"({"submittedAt":1735690000,"email":"b@kanzlei-berger.de","campaignId":"c"}])");
  ASSERT_TRUE(invalid);
  EXPECT_EQ(invalid->status, 400);
  EXPECT_EQ(Json::parse(invalid->body)["item"], 1);
  EXPECT_EQ(Json::parse(invalid->body)["field"], "submittedAt");

  // Sent again, the accepted batch is not published twice.
  auto again = webhook.Post("/v1/hooks/changes?source=crm", kChanges);
  ASSERT_TRUE(again);
  ASSERT_EQ(again->status, 200);
  EXPECT_EQ(Json::parse(again->body)["published"], 0);
  EXPECT_EQ(Json::parse(again->body)["duplicates"], 3);

  auto expected = EventIds(changes->body);
  expected.merge(EventIds(submission->body));
  auto events = CommittedEvents(KafkaConfigFor(topics.prefix), topics.names.events);
  EXPECT_EQ(events.size(), 5u);
  EXPECT_EQ(IdsOf(events), expected);
  for (const auto& [key, event] : events) {
    EXPECT_EQ(key, events::MessageKey(event));
    EXPECT_EQ(events::ValidateEvent(event), "");
    if (event.has_customer_upserted() && event.source_system() == "crm") {
      EXPECT_EQ(key, "email:jana.wolf@stadtwerke-nord.de");
      EXPECT_EQ(event.customer_upserted().lifecycle_stage(), v1::LIFECYCLE_STAGE_MQL);
      EXPECT_EQ(event.source_record_id(), "847297356");
    }
    if (event.has_deal_upserted()) {
      EXPECT_EQ(event.deal_upserted().stage(), v1::DEAL_STAGE_CLOSED_WON);
      EXPECT_EQ(event.deal_upserted().amount().minor_units(), 4'800'000);
    }
  }

  auto metrics = webhook.client().Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find(R"(accord_webhook_signature_failures_total{reason="mismatch"} 1)"),
            std::string::npos)
      << metrics->body;
  EXPECT_NE(metrics->body.find(R"(accord_webhook_signature_failures_total{reason="stale"} 1)"),
            std::string::npos);
  EXPECT_NE(metrics->body.find(
                R"(accord_webhook_requests_total{path="/v1/hooks/changes",status="413"} 1)"),
            std::string::npos);
  EXPECT_NE(metrics->body.find(R"(accord_webhook_events_total{outcome="published"} 5)"),
            std::string::npos);

  webhook.process().Kill(SIGTERM);
  EXPECT_EQ(webhook.process().Wait(), 0) << webhook.process().Stderr();
  EXPECT_NE(webhook.process().Stdout().find("published 5 events (3 were published already)"),
            std::string::npos)
      << webhook.process().Stdout();
}

TEST(Webhook, DuringASecretRotationBothSecretsAreAcceptedAndTheOldOneIsCounted) {
  auto topics = CreateTopics("webhook-rotation", 3);
  ASSERT_TRUE(AwaitTopic(KafkaConfigFor(topics.prefix), topics.names.events));
  WebhookProcess webhook(topics.prefix, {{"ACCORD_WEBHOOK_SECRET", "the-new-secret"},
                                         {"ACCORD_WEBHOOK_SECRET_PREVIOUS", kSecret}});
  ASSERT_GT(webhook.port(), 0) << webhook.process().Stderr();
  auto old_secret = webhook.Post("/v1/hooks/changes?source=crm", kChanges);
  ASSERT_TRUE(old_secret);
  EXPECT_EQ(old_secret->status, 200) << old_secret->body;
  auto new_secret = webhook.Post("/v1/hooks/forms", kSubmission, NowSeconds(), "the-new-secret");
  ASSERT_TRUE(new_secret);
  EXPECT_EQ(new_secret->status, 200) << new_secret->body;
  auto other = webhook.Post("/v1/hooks/forms", kSubmission, NowSeconds(), "a-third-secret");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 401);

  std::set<std::string> accepted = EventIds(old_secret->body);
  for (const auto& id : EventIds(new_secret->body)) accepted.insert(id);
  std::set<std::string> in_kafka;
  for (const auto& [key, event] :
       CommittedEvents(KafkaConfigFor(topics.prefix), topics.names.events))
    in_kafka.insert(event.event_id());
  EXPECT_EQ(in_kafka, accepted);
  auto metrics = webhook.client().Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("accord_webhook_previous_secret_total 1\n"), std::string::npos)
      << metrics->body;
}

TEST(Webhook, RefusesToStartWithoutASecret) {
  auto result = RunAccord({"webhook", "--listen", "127.0.0.1:0"}, "it-webhook-no-secret",
                          {{"ACCORD_WEBHOOK_SECRET", ""}});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err,
            "accord: error: no webhook secret: set the environment variable ACCORD_WEBHOOK_SECRET "
            "(webhook.secret_env) to the secret senders sign requests with\n");
}

std::string Change(int event_id, int object_id, const std::string& city) {
  return R"({"eventId":)" + std::to_string(event_id) +
         R"(,"subscriptionType":"contact.propertyChange","objectId":)" + std::to_string(object_id) +
         R"(,"occurredAt":1735689600000,"propertyName":"city","propertyValue":")" + city + "\"}";
}

// After a refused request: a good one goes through, and the topic holds its
// events only; the receiver then stops cleanly.
void ExpectTheNextRequestAloneIsPublished(WebhookProcess& webhook, const Topics& topics) {
  auto accepted = webhook.Post("/v1/hooks/changes", "[" + Change(3, 12, "Gera") + "]");
  ASSERT_TRUE(accepted);
  ASSERT_EQ(accepted->status, 200) << accepted->body;
  auto events = CommittedEvents(KafkaConfigFor(topics.prefix), topics.names.events);
  EXPECT_EQ(IdsOf(events), EventIds(accepted->body)) << "the refused request published something";
  webhook.process().Kill(SIGTERM);
  EXPECT_EQ(webhook.process().Wait(), 0) << webhook.process().Stderr();
}

TEST(Webhook, AnEventLargerThanKafkaTakesIsRefusedWith413AndTheNextRequestGoesThrough) {
  auto topics = CreateTopics("webhook-large", 3);
  ASSERT_TRUE(AwaitTopic(KafkaConfigFor(topics.prefix), topics.names.events));
  // A body the receiver reads, whose one event is over Kafka's default
  // message limit (message.max.bytes, 1000000 bytes).
  WebhookProcess webhook(topics.prefix, {{"ACCORD_WEBHOOK_MAX_BODY_BYTES", "4194304"}});
  ASSERT_GT(webhook.port(), 0) << webhook.process().Stderr();

  const std::string large =
      "[" + Change(1, 10, "Kiel") + "," + Change(2, 11, std::string(1'100'000, 'x')) + "]";
  auto refused = webhook.Post("/v1/hooks/changes", large);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 413) << refused->body;
  EXPECT_FALSE(refused->has_header("Retry-After"));
  auto error = Json::parse(refused->body);
  EXPECT_NE(error["error"].get<std::string>().find(
                "exceeds the Kafka message limit of 1000000 bytes (message.max.bytes)"),
            std::string::npos)
      << refused->body;
  EXPECT_GT(error["bytes"].get<int64_t>(), 1'100'000);
  EXPECT_EQ(error["limit"], 1000000);

  ExpectTheNextRequestAloneIsPublished(webhook, topics);
}

TEST(Webhook, ANulByteInAValueIsRefusedNamingItemAndField) {
  auto topics = CreateTopics("webhook-nul", 3);
  ASSERT_TRUE(AwaitTopic(KafkaConfigFor(topics.prefix), topics.names.events));
  WebhookProcess webhook(topics.prefix);
  ASSERT_GT(webhook.port(), 0) << webhook.process().Stderr();

  // JSON's escape for a NUL character, which decodes to a NUL byte.
  auto refused = webhook.Post("/v1/hooks/changes", "[" + Change(1, 10, "Kiel") + "," +
                                                       Change(2, 11, R"(Je\u0000na)") + "]");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400) << refused->body;
  auto error = Json::parse(refused->body);
  EXPECT_EQ(error["item"], 1);
  EXPECT_EQ(error["field"], "propertyValue");
  EXPECT_NE(error["error"].get<std::string>().find("holds a NUL byte"), std::string::npos)
      << refused->body;

  ExpectTheNextRequestAloneIsPublished(webhook, topics);
}

// A broker of the test's own, on the test broker's port + 100, which the test
// stops and starts (the shared one serves other tests meanwhile). Its run
// dir is deleted before and after, so a run killed midway leaves nothing
// for the next.
class DedicatedBroker {
 public:
  DedicatedBroker() {
    const std::string shared = Bootstrap();
    port_ = std::stoi(shared.substr(shared.rfind(':') + 1)) + 100;
    Run("reset");
  }
  ~DedicatedBroker() { Run("reset"); }

  bool Start() { return Run("start") == 0; }
  bool Stop() { return Run("stop") == 0; }
  std::string bootstrap() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::string& output() const { return output_; }

 private:
  int Run(const std::string& command) {
    const std::string log = output_dir_ / "kafka.log";
    const std::string line = "ACCORD_KAFKA_PORT=" + std::to_string(port_) +
                             " ACCORD_KAFKA_CONTROLLER_PORT=" + std::to_string(port_ + 1) + " '" +
                             ACCORD_SOURCE_DIR + "/deploy/local/kafka.sh' " + command + " >'" +
                             log + "' 2>&1";
    int status = std::system(line.c_str());
    std::ifstream in(log);
    std::stringstream text;
    text << in.rdbuf();
    output_ = text.str();
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  int port_ = 0;
  TempDir output_dir_;
  std::string output_;
};

TEST(WebhookBrokerDown, ARequestRefusedWhileKafkaIsDownIsPublishedOnceWhenRetried) {
  DedicatedBroker broker;
  ASSERT_TRUE(broker.Start()) << broker.output();
  const std::string prefix = "it-webhook-down-" + std::to_string(getpid());
  kafka::Config kafka;
  kafka.bootstrap_servers = broker.bootstrap();
  kafka.topic_prefix = prefix;
  const events::Topics topics(prefix);
  kafka::EnsureTopics(kafka, {topics.events}, 3, 1);
  ASSERT_TRUE(AwaitTopic(kafka, topics.events));
  WebhookProcess webhook(prefix, {{"ACCORD_KAFKA_BOOTSTRAP_SERVERS", broker.bootstrap()},
                                  {"ACCORD_WEBHOOK_PUBLISH_TIMEOUT_MS", "3000"}});
  ASSERT_GT(webhook.port(), 0) << webhook.process().Stderr();

  const std::string before = "[" + Change(1, 10, "Kiel") + "," + Change(2, 11, "Jena") + "]";
  auto accepted = webhook.Post("/v1/hooks/changes", before);
  ASSERT_TRUE(accepted);
  ASSERT_EQ(accepted->status, 200) << accepted->body;

  ASSERT_TRUE(broker.Stop()) << broker.output();
  const std::string during = "[" + Change(3, 12, "Gera") + "," + Change(4, 13, "Hof") + "]";
  auto refused = webhook.Post("/v1/hooks/changes", during);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503) << refused->body;
  EXPECT_EQ(refused->get_header_value("Retry-After"), "3");

  ASSERT_TRUE(broker.Start()) << broker.output();
  // The sender retries, as told, until Kafka takes the events.
  int status = 0;
  std::string answer;
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto retried = webhook.Post("/v1/hooks/changes", during);
        status = retried ? retried->status : 0;
        answer = retried ? retried->body : "no answer";
        return status == 200;
      },
      60s))
      << answer << webhook.process().Stderr();
  EXPECT_EQ(Json::parse(answer)["published"], 2) << answer;

  auto expected = EventIds(accepted->body);
  expected.merge(EventIds(answer));
  ASSERT_EQ(expected.size(), 4u);
  auto events = CommittedEvents(kafka, topics.events);
  EXPECT_EQ(events.size(), 4u) << "the refused attempt left an event visible, or one twice";
  EXPECT_EQ(IdsOf(events), expected);

  webhook.process().Kill(SIGTERM);
  EXPECT_EQ(webhook.process().Wait(), 0) << webhook.process().Stderr();
}

}  // namespace
}  // namespace accord::testing
