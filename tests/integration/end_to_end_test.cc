// The first end-to-end path: CSV files through the real broker into a real
// RocksDB, read back with `accord query`.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/integration/harness.h"

namespace accord::testing {
namespace {

const std::string kSample = std::string(ACCORD_SOURCE_DIR) + "/deploy/local/sample/";

size_t CountLines(const std::string& path) {
  std::ifstream in(path);
  size_t lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  return lines;
}

TEST(EndToEnd, SampleImportFoldsIntoUnifiedCustomers) {
  auto topics = CreateTopics("e2e", 6);
  TempDir dir;
  auto contacts =
      RunAccord({"import", "csv", kSample + "contacts.csv", "--reject-file", dir / "rejects.csv"},
                topics.prefix);
  ASSERT_EQ(contacts.exit_code, 0) << contacts.err;
  EXPECT_NE(contacts.out.find("read 300 rows, published 297 events"), std::string::npos)
      << contacts.out;
  // Header plus the three broken rows, each with line number and reason.
  EXPECT_EQ(CountLines(dir / "rejects.csv"), 4u);
  for (auto kind : {"campaigns", "deals"}) {
    auto result =
        RunAccord({"import", "csv", "--kind", kind, kSample + kind + ".csv"}, topics.prefix);
    ASSERT_EQ(result.exit_code, 0) << result.err;
  }

  auto project = RunAccord({"project", "--db", dir / "state", "--until-caught-up"}, topics.prefix);
  ASSERT_EQ(project.exit_code, 0) << project.err;
  EXPECT_NE(project.out.find(" 438 applied,"), std::string::npos) << project.out;

  auto summary = RunAccord({"query", "summary", "--db", dir / "state"}, topics.prefix);
  ASSERT_EQ(summary.exit_code, 0) << summary.err;
  auto json = nlohmann::json::parse(summary.out);
  // 297 contact rows: 40 people in both systems and 10 second versions.
  EXPECT_EQ(json["customers"], 247);
  EXPECT_EQ(json["customers_in_several_systems"], 40);
  EXPECT_EQ(json["deals"], 105);
  EXPECT_EQ(json["campaigns"], 21);
  EXPECT_EQ(json["events_applied"], 438);

  // A person known to both systems, asked for in a third spelling.
  auto customer =
      RunAccord({"query", "customer", "--db", dir / "state", "--email", "  K.HAHN@os-papier.de "},
                topics.prefix);
  ASSERT_EQ(customer.exit_code, 0) << customer.err;
  auto hahn = nlohmann::json::parse(customer.out);
  EXPECT_EQ(hahn["fields"]["email"]["value"], "k.hahn@os-papier.de");
  EXPECT_EQ(hahn["fields"]["last_name"]["value"], "Hahn");
  std::vector<std::string> aliases = hahn["aliases"];
  EXPECT_EQ(aliases, (std::vector<std::string>{"email:k.hahn@os-papier.de", "src:crm:003A0009578",
                                               "src:marketing:M-10311"}));

  // Importing the same file again publishes nothing: the import ledger
  // knows every id.
  auto hash_before = RunAccord({"state-hash", "--db", dir / "state"}, topics.prefix).out;
  auto end_before = EndOffsets(topics);
  auto second = RunAccord(
      {"import", "csv", kSample + "contacts.csv", "--reject-file", dir / "rejects-again.csv"},
      topics.prefix);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.out.find("published 0 events to " + topics.names.events +
                            ", duplicates skipped 297, rejected 3"),
            std::string::npos)
      << second.out;
  EXPECT_EQ(EndOffsets(topics), end_before);
  // Without the ledger the same event ids are published again: the
  // projection recognises every one and the state does not change.
  ASSERT_EQ(RunAccord({"import", "csv", kSample + "contacts.csv", "--no-ledger", "--reject-file",
                       dir / "rejects-again.csv"},
                      topics.prefix)
                .exit_code,
            0);
  auto again = RunAccord({"project", "--db", dir / "state", "--until-caught-up"}, topics.prefix);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("0 applied, 297 duplicates"), std::string::npos) << again.out;
  EXPECT_EQ(RunAccord({"state-hash", "--db", dir / "state"}, topics.prefix).out, hash_before);
}

// accord diff: the same history folded in other batches is the same state;
// folded under other field rules, the fields those rules decide differ.
TEST(EndToEnd, DiffFindsWhatOtherFieldRulesDecidedAndNothingElse) {
  auto topics = CreateTopics("e2e-diff", 3);
  TempDir dir;
  ASSERT_EQ(
      RunAccord({"import", "csv", kSample + "contacts.csv", "--reject-file", dir / "rejects.csv"},
                topics.prefix)
          .exit_code,
      0);
  auto fold = [&](const std::string& db, const std::string& group,
                  const std::map<std::string, std::string>& env) {
    auto run = RunAccord({"project", "--db", dir / db, "--group-id", topics.prefix + group,
                          "--until-caught-up", "--http-listen", ""},
                         topics.prefix, env);
    ASSERT_EQ(run.exit_code, 0) << run.err;
  };
  fold("a", "-a", {});
  fold("small-batches", "-b", {{"ACCORD_PROJECT_BATCH_MAX_MESSAGES", "7"}});
  {
    std::ofstream config(dir / "rules.yaml");
    config << "fold:\n  field_rules:\n    job_title: prefer crm\n";
  }
  fold("crm-titles", "-c", {{"ACCORD_CONFIG", dir / "rules.yaml"}});

  auto same = RunAccord({"diff", "--db", dir / "a", "--db", dir / "small-batches"}, topics.prefix);
  EXPECT_EQ(same.exit_code, 0) << same.err;
  EXPECT_EQ(same.out, "no differences\n");

  auto differ = RunAccord(
      {"diff", "--db", dir / "a", "--db", dir / "crm-titles", "--format", "json"}, topics.prefix);
  EXPECT_EQ(differ.exit_code, 1) << differ.err;
  std::istringstream lines(differ.out);
  int differences = 0;
  for (std::string line; std::getline(lines, line); ++differences) {
    auto difference = nlohmann::json::parse(line);
    const std::string field = difference["field"];
    EXPECT_TRUE(field == "job_title" || field == "job_title.source") << line;
  }
  EXPECT_GT(differences, 0);

  auto missing = RunAccord({"diff", "--db", dir / "a", "--db", dir / "nowhere"}, topics.prefix);
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("no Accord state at"), std::string::npos) << missing.err;
}

TEST(EndToEnd, UnknownCustomerExitsWithThree) {
  auto topics = CreateTopics("e2e-unknown", 1);
  TempDir dir;
  ASSERT_EQ(
      RunAccord({"project", "--db", dir / "state", "--until-caught-up"}, topics.prefix).exit_code,
      0);
  auto result = RunAccord(
      {"query", "customer", "--db", dir / "state", "--email", "nobody@firma.de"}, topics.prefix);
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_NE(result.err.find("no customer with e-mail nobody@firma.de"), std::string::npos);
}

}  // namespace
}  // namespace accord::testing
