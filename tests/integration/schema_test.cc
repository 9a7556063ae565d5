// Events of schema versions 1 and 2 in one history, through the real broker:
// the projection upcasts the old ones and folds the state the checked-in
// fixture expects (tests/compat/history_v1_v2/).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/integration/harness.h"

namespace accord::testing {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

TEST(Schema, AHistoryMixingVersionsOneAndTwoFoldsAsExpected) {
  const fs::path fixture = fs::path(ACCORD_SOURCE_DIR) / "tests/compat/history_v1_v2";
  auto topics = CreateTopics("schema", 3);
  std::map<std::string, fs::path> history;  // in file-name order
  for (const auto& entry : fs::directory_iterator(fixture))
    if (entry.path().extension() == ".binpb") history[entry.path().filename()] = entry.path();
  ASSERT_EQ(history.size(), 6u);
  // The bytes as the Accord of each version wrote them.
  for (const auto& [name, path] : history) {
    const std::string bytes = ReadFile(path);
    v1::Event event;
    ASSERT_TRUE(event.ParseFromString(bytes)) << name;
    PublishRaw(topics, events::MessageKey(event), bytes);
  }

  TempDir dir;
  auto projected = RunAccord(
      {"project", "--db", dir / "state", "--until-caught-up", "--http-listen", ""}, topics.prefix);
  ASSERT_EQ(projected.exit_code, 0) << projected.err;
  EXPECT_NE(projected.out.find("0 dead-lettered"), std::string::npos) << projected.out;

  std::istringstream expected(ReadFile(fixture / "expected.txt"));
  int customers = 0;
  for (std::string line; std::getline(expected, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string email, country;
    fields >> email >> country;
    auto found =
        RunAccord({"query", "customer", "--db", dir / "state", "--email", email}, topics.prefix);
    ASSERT_EQ(found.exit_code, 0) << email << ": " << found.err;
    EXPECT_EQ(nlohmann::json::parse(found.out)["fields"]["country"]["value"], country) << email;
    ++customers;
  }
  EXPECT_EQ(customers, 4);

  // A replay of the same history reads the old bytes through the same chain.
  auto replayed = RunAccord({"replay", "--db", dir / "replayed"}, topics.prefix);
  ASSERT_EQ(replayed.exit_code, 0) << replayed.err;
  auto projected_hash = RunAccord({"state-hash", "--db", dir / "state"}, topics.prefix);
  EXPECT_NE(replayed.out.find("state hash " + projected_hash.out), std::string::npos)
      << replayed.out << "projected: " << projected_hash.out;
}

}  // namespace
}  // namespace accord::testing
