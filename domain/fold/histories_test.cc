// Runs every history in domain/fold/histories/ (README.md there describes
// the format): one test per file, named after it, e.g.
//   accord_unit_tests --gtest_filter='*Histories*field_rules_prefer*'
// and checks that the driver itself reports malformed histories and wrong
// expectations at the right line.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "domain/fold/testing/history.h"

namespace accord::fold {
namespace {

using namespace test_support;
using ::testing::HasSubstr;

const std::filesystem::path kDirectory =
    std::filesystem::path(ACCORD_SOURCE_DIR) / "domain/fold/histories";

std::vector<std::string> HistoryNames() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(kDirectory))
    if (entry.path().extension() == ".history") names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

class Histories : public ::testing::TestWithParam<std::string> {};

TEST_P(Histories, FoldsAsWritten) {
  const std::filesystem::path path = kDirectory / (GetParam() + ".history");
  std::ifstream file(path);
  ASSERT_TRUE(file) << "cannot read " << path;
  std::stringstream text;
  text << file.rdbuf();
  History history;
  try {
    history = ParseHistory(text.str());
  } catch (const HistoryError& e) {
    ADD_FAILURE_AT(path.c_str(), e.line) << path.string() << ":" << e.line << ": " << e.what();
    return;
  }
  for (const auto& failure : RunHistory(history))
    ADD_FAILURE_AT(path.c_str(), failure.line)
        << path.string() << ":" << failure.line << ": " << failure.message;
}

INSTANTIATE_TEST_SUITE_P(, Histories, ::testing::ValuesIn(HistoryNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

TEST(HistoriesDirectory, NamesAreTestNames) {
  // A file named otherwise would get a test name other than its own.
  for (const auto& name : HistoryNames())
    EXPECT_EQ(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_"), std::string::npos)
        << name << ".history: use lower-case letters, digits and _";
}

// --- The driver itself --------------------------------------------------------

constexpr std::string_view kContact = R"(# one contact
event 2025-03-14T09:30Z
source_system: "marketing" source_record_id: "m1" source_version: 1
customer_upserted { email: "anna@firma.de" first_name: "Anna" }
)";

int ErrorLine(std::string_view text, std::string* what = nullptr) {
  try {
    ParseHistory(text);
  } catch (const HistoryError& e) {
    if (what) *what = e.what();
    return e.line;
  }
  return 0;
}

TEST(HistoryFormat, MalformedEventNamesItsLineAndTheParsersComplaint) {
  std::string what;
  EXPECT_EQ(ErrorLine(std::string(kContact) + "\nevent\nsource_system: \"crm\"\n"
                                              "customer_upserted { emial: \"x@y.de\" }\n",
                      &what),
            8);
  EXPECT_THAT(what, HasSubstr("accord.v1.Event"));
  EXPECT_THAT(what, HasSubstr("emial"));
}

TEST(HistoryFormat, RefusesWhatTheProjectionWouldRefuse) {
  std::string what;
  EXPECT_EQ(
      ErrorLine("event\nsource_system: \"crm\" customer_upserted { email: \"a@b.de\" }\n", &what),
      1);
  EXPECT_THAT(what, HasSubstr("source_record_id"));
}

TEST(HistoryFormat, RefusesUnknownDirectivesAndMisplacedOnes) {
  std::string what;
  EXPECT_EQ(ErrorLine(std::string(kContact) + "\nexpect customer email:anna@firma.de\n"
                                              "applied_events: 1\n\nexpcet verdict applied\n",
                      &what),
            9);
  EXPECT_THAT(what, HasSubstr("unknown directive \"expcet\""));
  EXPECT_EQ(ErrorLine("expect verdict applied\n\n" + std::string(kContact), &what), 1);
  EXPECT_EQ(ErrorLine(std::string(kContact) + "\nrule first_name prefer crm\n", &what), 6);
  EXPECT_THAT(what, HasSubstr("before the first event"));
  EXPECT_EQ(ErrorLine("rule first_name prefer\n\n" + std::string(kContact), &what), 1);
  EXPECT_THAT(what, HasSubstr("needs at least one source system"));
  EXPECT_EQ(ErrorLine(std::string(kContact) + "\nexpect no customer email:anna@firma.de\n"
                                              "first_name: \"Anna\"\n",
                      &what),
            7);
  EXPECT_THAT(what, HasSubstr("unknown directive \"first_name:\""));
  EXPECT_EQ(ErrorLine("# nothing happens\n"), 1);
}

TEST(HistoryFormat, WrongExpectationNamesItsLineWithExpectedAndActual) {
  History history = ParseHistory(std::string(kContact) +
                                 "\nexpect customer email:anna@firma.de\n"
                                 "aliases: [\"email:anna@firma.de\", \"src:marketing:m1\"]\n"
                                 "fields { name: \"email\" }\n"
                                 "fields { name: \"first_name\" value: \"Ana\" }\n"
                                 "erased: false\n");
  auto failures = RunHistory(history);
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].line, 9);
  EXPECT_THAT(failures[0].message, HasSubstr("fields[1].value: expected \"Ana\", got \"Anna\""));
  EXPECT_THAT(failures[0].message, HasSubstr("actual:\ncustomer_id: \"c"));

  // A field written with its default value is compared too.
  failures =
      RunHistory(ParseHistory(std::string(kContact) + "\nexpect customer email:anna@firma.de\n"
                                                      "applied_events: 1\nerased: true\n"));
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].line, 8);
  EXPECT_THAT(failures[0].message, HasSubstr("erased: expected true, got false"));

  // A repeated field is compared whole.
  failures = RunHistory(ParseHistory(std::string(kContact) +
                                     "\nexpect customer email:anna@firma.de\n"
                                     "aliases: \"email:anna@firma.de\"\nconsents: []\n"));
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].line, 7);
  EXPECT_THAT(failures[0].message, HasSubstr("aliases: expected 1 entries, got 2"));

  failures =
      RunHistory(ParseHistory(std::string(kContact) + "\nexpect no customer email:anna@firma.de\n\n"
                                                      "expect verdict duplicate\n"));
  ASSERT_EQ(failures.size(), 2u);
  EXPECT_EQ(failures[0].line, 6);
  EXPECT_EQ(failures[1].line, 8);
  EXPECT_THAT(failures[1].message, HasSubstr("expected verdict duplicate, got applied"));
}

TEST(HistoryFormat, TimesAreUtc) {
  History history = ParseHistory(kContact);
  EXPECT_EQ(history.steps[0].event.occurred_at_ms(), kT0);  // 2025-03-14T09:30:00Z
  EXPECT_EQ(history.steps[0].event.customer_key(), "email:anna@firma.de");
  EXPECT_EQ(history.steps[0].event.event_id(),
            events::MakeEventId("marketing", "m1", 1, "customer_upserted"));
  std::string what;
  EXPECT_EQ(ErrorLine("event 2025-03-14 09:30\nsource_system: \"x\"\n", &what), 1);
}

}  // namespace
}  // namespace accord::fold
