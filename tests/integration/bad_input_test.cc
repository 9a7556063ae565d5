// Bad input never stops the line, and a broken environment gives a clear,
// bounded error instead of a hang or a silent empty state.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>

#include "tests/integration/harness.h"

namespace accord::testing {
namespace {

TEST(BadInput, UnreadableMessagesAreSkippedAndCounted) {
  auto topics = CreateTopics("poison", 1);
  std::vector<v1::Event> good;
  for (int i = 0; i < 20; ++i)
    good.push_back(ContactEvent("crm", "R-" + std::to_string(i), 1, 1735689600000 + i,
                                "person" + std::to_string(i) + "@betrieb.de", "Schröder"));
  PublishEvents(topics, {good.begin(), good.begin() + 10});
  PublishRaw(topics, "email:x@betrieb.de", "\xff\xfe not a protobuf");
  v1::Event future = good[0];
  future.set_schema_version(99);
  future.set_event_id("future");
  PublishRaw(topics, "email:x@betrieb.de", future.SerializeAsString());
  PublishEvents(topics, {good.begin() + 10, good.end()});

  TempDir dir;
  auto result = RunAccord({"project", "--db", dir / "state", "--until-caught-up"}, topics.prefix);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("projected 22 messages"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("20 applied"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("2 unreadable"), std::string::npos) << result.out;
  // The log names where each skipped message sits.
  EXPECT_NE(result.err.find(topics.names.events + "[0]@10: not a protobuf"), std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find(topics.names.events + "[0]@11: schema_version 99"), std::string::npos)
      << result.err;
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
  EXPECT_NE(result.err.find("accord.yaml:4: batch_max_messages must be a whole number"),
            std::string::npos)
      << result.err;
}

}  // namespace
}  // namespace accord::testing
