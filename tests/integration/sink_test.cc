// accord sink http through the real broker: every feedback event reaches the
// marketing endpoint, although it fails for a while and the sink is killed
// and restarted; a refused one is dead-lettered; duplicates are skipped.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "io/kafka/client.h"
#include "tests/integration/harness.h"
#include "tests/integration/marketing_endpoint.h"

namespace accord::testing {
namespace {

v1::Event ScoreFor(const std::string& email, int n) {
  v1::Event event;
  event.mutable_score_updated()->set_score(n);
  event.set_schema_version(1);
  event.set_source_system("accord");
  event.set_source_record_id("c-" + email);
  event.set_occurred_at_ms(1741944600000 + n);
  event.set_customer_key("email:" + email);
  event.set_origin(v1::ORIGIN_ACCORD);
  event.set_event_id(
      events::MakeEventId("accord", email + "#" + std::to_string(n), 0, "score_updated"));
  return event;
}

TEST(Sink, EveryEventReachesMarketingOnceThroughFailuresAndAKill) {
  auto topics = CreateTopics("sink", 3);
  std::vector<v1::Event> events;
  for (int customer = 0; customer < 10; ++customer)
    for (int n = 0; n < 30; ++n)
      events.push_back(ScoreFor("kunde" + std::to_string(customer) + "@kunde.de", n));
  events.push_back(ScoreFor("refused@kunde.de", 1));
  {
    kafka::Publisher publisher(KafkaConfigFor(topics.prefix));
    for (const auto& event : events)
      publisher.Publish(topics.names.feedback, events::MessageKey(event),
                        event.SerializeAsString());
    // A feedback service that folded again emits the same event again.
    publisher.Publish(topics.names.feedback, events::MessageKey(events[5]),
                      events[5].SerializeAsString());
    ASSERT_EQ(publisher.Flush().failed, 0u);
  }

  MarketingEndpoint endpoint(/*failures=*/40, "email:refused@kunde.de");
  TempDir dir;
  {
    std::ofstream config(dir / "accord.yaml");
    // A killed member holds its partitions until its session times out.
    config << "kafka:\n  properties:\n    session.timeout.ms: \"6000\"\n"
           << "sink:\n  http:\n    url: " << endpoint.Url()
           << "\n    max_attempts: 100\n    initial_backoff_ms: 5\n    max_backoff_ms: 40\n";
  }
  const std::map<std::string, std::string> env = {{"ACCORD_CONFIG", dir / "accord.yaml"}};
  const std::vector<std::string> args = {
      "sink",          "http",        "--ledger",         dir / "ledger",
      "--http-listen", "127.0.0.1:0", "--until-caught-up"};
  {
    AccordProcess sink(args, topics.prefix, env);
    ASSERT_TRUE(WaitUntil([&] { return endpoint.Taken().size() >= 60 || !sink.Running(); },
                          std::chrono::seconds(60)))
        << sink.Stderr();
    sink.Kill(SIGKILL);
    sink.Wait();
  }
  const size_t before_restart = endpoint.Taken().size();
  EXPECT_LT(before_restart, events.size() - 1) << "killed too late to prove anything";
  auto restarted = RunAccord(args, topics.prefix, env);
  ASSERT_EQ(restarted.exit_code, 0) << restarted.err;

  std::set<std::string> expected;
  for (size_t i = 0; i + 1 < events.size(); ++i) expected.insert(events[i].event_id());
  EXPECT_EQ(endpoint.Taken(), expected);
  EXPECT_GE(endpoint.Requests(), 40 + static_cast<int>(expected.size()));

  // Read from the start again (another group), the ledger knows every event:
  // nothing is sent.
  const int requests = endpoint.Requests();
  auto again = RunAccord({"sink", "http", "--ledger", dir / "ledger", "--group-id",
                          topics.prefix + "-again", "--http-listen", "", "--until-caught-up"},
                         topics.prefix, env);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("delivered 0 feedback events, duplicates skipped 302"),
            std::string::npos)
      << again.out;
  EXPECT_EQ(endpoint.Requests(), requests);

  auto listed = RunAccord({"deadletter", "list", "--format", "json"}, topics.prefix);
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  std::istringstream lines(listed.out);
  std::vector<nlohmann::json> letters;
  for (std::string line; std::getline(lines, line);) letters.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(letters.size(), 1u) << listed.out;
  EXPECT_EQ(letters[0]["reason_code"], "sink_refused");
  EXPECT_NE(letters[0]["reason"].get<std::string>().find("HTTP 422: no such contact"),
            std::string::npos)
      << letters[0].dump();
  EXPECT_EQ(letters[0]["source_topic"], topics.names.feedback);
}

TEST(Sink, ChatPostsWhatSalesShouldActOnFromBothTopics) {
  auto topics = CreateTopics("sink-chat", 2);
  std::mutex mutex;
  std::vector<std::string> texts;
  httplib::Server chat;
  chat.Post("/hook", [&](const httplib::Request& request, httplib::Response& response) {
    std::lock_guard lock(mutex);
    texts.push_back(nlohmann::json::parse(request.body)["text"]);
    response.status = 200;
  });
  const int port = chat.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { chat.listen_after_bind(); });

  v1::Event lead = ScoreFor("anna@corp.de", 1);
  lead.mutable_lead_qualified()->set_score(45);
  lead.mutable_lead_qualified()->add_reasons("score 45 >= 40");
  lead.set_event_id(events::MakeEventId("accord", "lead", 0, "lead_qualified"));
  {
    kafka::Publisher publisher(KafkaConfigFor(topics.prefix));
    for (const auto& event : {ScoreFor("anna@corp.de", 2), lead})
      publisher.Publish(topics.names.feedback, events::MessageKey(event),
                        event.SerializeAsString());
    ASSERT_EQ(publisher.Flush().failed, 0u);
  }
  v1::Event won = ContactEvent("crm", "D-7", 3, 1741944600000, "anna@corp.de", "");
  won.mutable_deal_upserted()->set_deal_id("D-7");
  won.mutable_deal_upserted()->set_name("Lizenz 2025");
  won.mutable_deal_upserted()->set_stage(v1::DEAL_STAGE_CLOSED_WON);
  won.mutable_deal_upserted()->mutable_amount()->set_minor_units(1250000);
  won.mutable_deal_upserted()->mutable_amount()->set_currency("EUR");
  PublishEvents(topics, {ContactEvent("crm", "K-1", 1, 1741944600000, "anna@corp.de", ""), won});
  PublishRaw(topics, "email:x@firma.de", "not an event: the projection's to park");

  TempDir dir;
  auto result =
      RunAccord({"sink", "chat", "--url", "http://127.0.0.1:" + std::to_string(port) + "/hook",
                 "--ledger", dir / "ledger", "--http-listen", "", "--until-caught-up"},
                topics.prefix);
  chat.stop();
  serving.join();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("delivered 2 feedback events"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("not for this sink 3"), std::string::npos) << result.out;
  std::sort(texts.begin(), texts.end());
  EXPECT_EQ(texts, (std::vector<std::string>{
                       "Deal won: Lizenz 2025, 12500.00 EUR (anna@corp.de)",
                       "Qualified lead for sales: anna@corp.de, score 45 (score 45 >= 40)"}));
  auto letters = RunAccord({"deadletter", "list", "--format", "json"}, topics.prefix);
  EXPECT_EQ(letters.out, "") << "the chat sink parks nothing of the events topic";
}

}  // namespace
}  // namespace accord::testing
