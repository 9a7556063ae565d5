// Bad input never stops the line, and a broken environment gives a clear,
// bounded error instead of a hang or a silent empty state.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "io/store/store.h"
#include "services/query/state_query.h"
#include "tests/integration/harness.h"

namespace accord::testing {
namespace {

std::vector<nlohmann::json> DeadLetters(const Topics& topics) {
  auto listed = RunAccord({"deadletter", "list", "--format", "json"}, topics.prefix);
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  std::vector<nlohmann::json> letters;
  std::istringstream lines(listed.out);
  for (std::string line; std::getline(lines, line);) letters.push_back(nlohmann::json::parse(line));
  return letters;
}

TEST(BadInput, PoisonMessagesAreDeadLetteredAndTheRestIsFolded) {
  auto topics = CreateTopics("poison", 3);
  std::vector<v1::Event> good;
  for (int i = 0; i < 300; ++i)
    good.push_back(ContactEvent("crm", "R-" + std::to_string(i), 1, 1735689600000 + i,
                                "person" + std::to_string(i) + "@betrieb.de", "Schröder"));
  PublishEvents(topics, {good.begin(), good.begin() + 100});
  PublishRaw(topics, "email:x@betrieb.de", "\xff\xfe not a protobuf");
  PublishEvents(topics, {good.begin() + 100, good.begin() + 200});
  v1::Event future = good[0];
  future.set_schema_version(99);
  future.set_event_id("future");
  PublishRaw(topics, "email:y@betrieb.de", future.SerializeAsString());
  v1::Event junk_key = good[1];
  junk_key.set_customer_key("email:null");
  junk_key.set_event_id("junk");
  PublishRaw(topics, "email:null", junk_key.SerializeAsString());
  PublishEvents(topics, {good.begin() + 200, good.end()});

  TempDir dir;
  auto result = RunAccord({"project", "--db", dir / "state", "--until-caught-up"}, topics.prefix);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("300 applied"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("3 dead-lettered"), std::string::npos) << result.out;

  auto letters = DeadLetters(topics);
  ASSERT_EQ(letters.size(), 3u);
  std::map<std::string, nlohmann::json> by_code;
  for (const auto& letter : letters) by_code[letter["reason_code"]] = letter;
  ASSERT_EQ(by_code.size(), 3u);
  EXPECT_EQ(by_code["not_protobuf"]["key"], "email:x@betrieb.de");
  EXPECT_EQ(by_code["not_protobuf"]["source_topic"], topics.names.events);
  EXPECT_NE(by_code["future_schema"]["reason"].get<std::string>().find("schema_version 99"),
            std::string::npos);
  EXPECT_NE(by_code["invalid"]["reason"].get<std::string>().find("customer_key"),
            std::string::npos);
  // The id names where the original sits, so an operator can find it.
  for (const auto& [code, letter] : by_code)
    EXPECT_EQ(letter["id"], letter["source_topic"].get<std::string>() + "/" +
                                letter["source_partition"].get<std::string>() + "/" +
                                letter["source_offset"].get<std::string>());

  // Re-driving puts the message back on its topic; still unreadable, it is
  // parked again, and nothing else changes.
  auto hash = RunAccord({"state-hash", "--db", dir / "state"}, topics.prefix).out;
  auto redrive =
      RunAccord({"deadletter", "redrive", "--reason-code", "not_protobuf"}, topics.prefix);
  ASSERT_EQ(redrive.exit_code, 0) << redrive.err;
  EXPECT_NE(redrive.out.find("redrove 1 of 3 dead letters"), std::string::npos) << redrive.out;
  auto again = RunAccord({"project", "--db", dir / "state", "--until-caught-up"}, topics.prefix);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("projected 1 messages"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("1 dead-lettered"), std::string::npos) << again.out;
  EXPECT_EQ(DeadLetters(topics).size(), 4u);
  EXPECT_EQ(RunAccord({"state-hash", "--db", dir / "state"}, topics.prefix).out, hash);

  auto refused = RunAccord({"deadletter", "redrive"}, topics.prefix);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("--all"), std::string::npos) << refused.err;
}

TEST(BadInput, AnEventUnderAnotherKeyIsDeadLetteredAndTheRestIsFolded) {
  auto topics = CreateTopics("wrong-key", 3);
  std::vector<v1::Event> good;
  for (int i = 0; i < 50; ++i)
    good.push_back(ContactEvent("crm", "R-" + std::to_string(i), 1, 1735689600000 + i,
                                "person" + std::to_string(i) + "@betrieb.de", "Schröder"));
  PublishEvents(topics, {good.begin(), good.begin() + 25});
  // Keyed as another customer: it sits in that customer's partition, whose
  // shard does not own its own customer.
  const auto stray = ContactEvent("crm", "S-1", 1, 1735689700000, "fremd@betrieb.de", "Fremd");
  PublishRaw(topics, "email:person0@betrieb.de", stray.SerializeAsString());
  PublishEvents(topics, {good.begin() + 25, good.end()});

  TempDir dir;
  auto result = RunAccord({"project", "--db", dir / "state", "--until-caught-up"}, topics.prefix);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("50 applied"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("1 dead-lettered"), std::string::npos) << result.out;

  auto letters = DeadLetters(topics);
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0]["reason_code"], "wrong_key");
  EXPECT_EQ(letters[0]["key"], "email:person0@betrieb.de");
  EXPECT_EQ(letters[0]["reason"],
            "message key \"email:person0@betrieb.de\" is not the event's key "
            "\"email:fremd@betrieb.de\"");

  auto store = store::Store::Open(dir / "state", store::Store::Mode::kReadOnly);
  query::StateQuery query(*store);
  EXPECT_FALSE(query.ByIdentity("email:fremd@betrieb.de"));
  auto person = query.ByIdentity("email:person0@betrieb.de");
  ASSERT_TRUE(person);
  EXPECT_EQ(person->state.applied_events(), 1u);
}

TEST(BadInput, MissingBrokerIsAClearBoundedError) {
  TempDir dir;
  std::ofstream(dir / "one.csv") << "source_system,record_id,version,updated_at,email\n"
                                    "crm,1,1,2025-01-01T00:00:00Z,a@firma.de\n";
  const std::map<std::string, std::string> nowhere = {
      {"ACCORD_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1"},
      {"ACCORD_KAFKA_CONNECT_TIMEOUT_MS", "2000"}};
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"import", "csv", dir / "one.csv"}, {"project", "--db", dir / "state"}}) {
    auto started = std::chrono::steady_clock::now();
    auto result = RunAccord(args, "accord", nowhere);
    auto took = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(result.exit_code, 1) << args[0];
    EXPECT_NE(result.err.find("cannot reach Kafka at 127.0.0.1:1 within 2000 ms"),
              std::string::npos)
        << result.err;
    EXPECT_LT(took, std::chrono::seconds(30)) << args[0];
  }
}

TEST(BadInput, MissingTopicsAreAClearError) {
  TempDir dir;
  auto started = std::chrono::steady_clock::now();
  auto result = RunAccord({"project", "--db", dir / "state"}, "it-no-topics-here");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("topic it-no-topics-here.events does not exist"), std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("accord topics create"), std::string::npos) << result.err;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(30));
}

TEST(BadInput, MissingOrForeignStateDirectoryIsRefused) {
  TempDir dir;
  auto missing = RunAccord({"query", "summary", "--db", dir / "nothing-here"}, "accord");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no Accord state at " + (dir / "nothing-here")), std::string::npos)
      << missing.err;

  std::filesystem::create_directories(dir / "corrupt");
  std::ofstream(dir / "corrupt/CURRENT") << "MANIFEST-000999\n";
  auto corrupt = RunAccord({"query", "summary", "--db", dir / "corrupt"}, "accord");
  EXPECT_EQ(corrupt.exit_code, 1);
  EXPECT_NE(corrupt.err.find("cannot open state at " + (dir / "corrupt")), std::string::npos)
      << corrupt.err;
}

TEST(BadInput, WrongConfigValueNamesTheKey) {
  TempDir dir;
  std::ofstream(dir / "accord.yaml") << "kafka:\n  bootstrap_servers: 127.0.0.1:1\n"
                                        "project:\n  batch_max_messages: lots\n";
  auto result = RunAccord({"--config", dir / "accord.yaml", "project", "--db", dir / "state"},
                          "accord", {{"ACCORD_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1"}});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("accord.yaml:4: project.batch_max_messages must be a whole number"),
            std::string::npos)
      << result.err;
}

}  // namespace
}  // namespace accord::testing
