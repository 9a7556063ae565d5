// Schema compatibility: events exactly as a released Accord wrote them
// (tests/compat/events_v1/*.binpb, never regenerated, see regenerate.sh) must
// still parse, validate and fold with today's schema and code, and must still
// mean what their readable twin (*.txtpb) says.

#include <google/protobuf/descriptor.h>
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>

#include "accord/v1/event.pb.h"
#include "domain/events/envelope.h"
#include "domain/feedback/score.h"
#include "domain/fold/fold.h"
#include "domain/fold/overlay.h"
#include "domain/fold/state.h"
#include "domain/fold/testing/fold_testing.h"

namespace accord {
namespace {

namespace fs = std::filesystem;

const fs::path kFixtureDir = fs::path(ACCORD_SOURCE_DIR) / "tests/compat/events_v1";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

// Fixture name (file stem, which is the payload kind) -> path of its .binpb.
std::map<std::string, fs::path> BinaryFixtures() {
  std::map<std::string, fs::path> fixtures;
  for (const auto& entry : fs::directory_iterator(kFixtureDir))
    if (entry.path().extension() == ".binpb") fixtures[entry.path().stem()] = entry.path();
  return fixtures;
}

std::set<std::string> TextFixtureNames() {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(kFixtureDir))
    if (entry.path().extension() == ".txtpb") names.insert(entry.path().stem());
  return names;
}

class EmptyState : public fold::StateReader {
 public:
  std::optional<std::string> Get(fold::Table, std::string_view) const override {
    return std::nullopt;
  }
};

TEST(EventFixtures, EveryTextFixtureHasItsBinaryAndBack) {
  auto binaries = BinaryFixtures();
  std::set<std::string> binary_names;
  for (const auto& [name, path] : binaries) binary_names.insert(name);
  EXPECT_FALSE(binary_names.empty()) << "no fixtures in " << kFixtureDir;
  EXPECT_EQ(binary_names, TextFixtureNames())
      << "every .txtpb needs its .binpb (tests/compat/regenerate.sh) and vice versa";
}

TEST(EventFixtures, OldBinariesParseValidateAndMatchTheirText) {
  for (const auto& [name, path] : BinaryFixtures()) {
    SCOPED_TRACE(path.string());
    const std::string bytes = ReadFile(path);
    ASSERT_FALSE(bytes.empty());

    v1::Event from_binary;
    ASSERT_TRUE(from_binary.ParseFromString(bytes));

    v1::Event decoded;
    events::Decoded result = events::DecodeEvent(bytes, decoded);
    EXPECT_EQ(result.error, events::DecodeError::kNone) << result.reason;
    EXPECT_EQ(events::ValidateEvent(from_binary), "");
    EXPECT_EQ(from_binary.schema_version(), 1u);
    EXPECT_EQ(events::PayloadKind(from_binary), name) << "fixture files are named by payload kind";

    v1::Event from_text;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
        ReadFile(fs::path(path).replace_extension(".txtpb")), &from_text));
    std::string difference;
    google::protobuf::util::MessageDifferencer differencer;
    differencer.ReportDifferencesToString(&difference);
    EXPECT_TRUE(differencer.Compare(from_text, from_binary)) << difference;
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(from_text, from_binary));
  }
}

TEST(EventFixtures, OldBinariesStillFold) {
  for (const auto& [name, path] : BinaryFixtures()) {
    SCOPED_TRACE(path.string());
    v1::Event event;
    ASSERT_TRUE(event.ParseFromString(ReadFile(path)));
    EmptyState empty;
    fold::Overlay overlay(empty);
    fold::Outcome outcome;
    ASSERT_NO_THROW(outcome = fold::Apply(overlay, event));
    if (events::IsFeedbackEvent(event)) {
      EXPECT_EQ(outcome.verdict, fold::Verdict::kIgnored);
    } else if (events::IsFeedbackInput(event)) {
      // The projection passes it by; the feedback fold takes it, once.
      EXPECT_EQ(outcome.verdict, fold::Verdict::kIgnored);
      feedback::FeedbackOutcome followed;
      ASSERT_NO_THROW(followed = feedback::ApplyFeedback(overlay, event, "", {}));
      EXPECT_FALSE(followed.changes.empty());
      overlay.Record(followed.changes);
      EXPECT_EQ(fold::Apply(overlay, event).verdict, fold::Verdict::kDuplicate);
    } else {
      EXPECT_EQ(outcome.verdict, events::IsIdentityEvent(event) ? fold::Verdict::kIdentity
                                                                : fold::Verdict::kApplied);
      EXPECT_FALSE(outcome.changes.empty());
      overlay.Record(outcome.changes);
      EXPECT_EQ(fold::Apply(overlay, event).verdict, fold::Verdict::kDuplicate);
    }
  }
}

// A payload kind added to event.proto without a fixture fails here: add
// events_v1/<kind>.txtpb and run regenerate.sh (it only encodes new files).
TEST(EventFixtures, CoverEveryPayloadKind) {
  const auto* payload = v1::Event::descriptor()->FindOneofByName("payload");
  ASSERT_NE(payload, nullptr);
  std::set<std::string> kinds;
  for (int i = 0; i < payload->field_count(); ++i) kinds.insert(payload->field(i)->name());

  std::set<std::string> covered;
  for (const auto& [name, path] : BinaryFixtures()) {
    v1::Event event;
    ASSERT_TRUE(event.ParseFromString(ReadFile(path))) << path;
    covered.insert(std::string(events::PayloadKind(event)));
  }
  for (const auto& kind : kinds)
    EXPECT_TRUE(covered.count(kind)) << "no compatibility fixture for payload " << kind;
  EXPECT_EQ(covered.size(), kinds.size());
}

// Contacts written by schema versions 1 and 2 (history_v1_v2/README.md),
// decoded as a consumer decodes them, fold to the state expected.txt gives.
TEST(EventFixtures, AHistoryMixingSchemaVersionsFoldsToTheExpectedState) {
  const fs::path dir = fs::path(ACCORD_SOURCE_DIR) / "tests/compat/history_v1_v2";
  std::map<std::string, fs::path> history;  // in file-name order
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().extension() == ".binpb") history[entry.path().filename()] = entry.path();
  ASSERT_EQ(history.size(), 6u);
  std::set<uint32_t> versions;
  fold::test_support::MemoryState state;
  for (const auto& [name, path] : history) {
    SCOPED_TRACE(name);
    v1::Event event;
    auto decoded = events::DecodeEvent(ReadFile(path), event);
    ASSERT_EQ(decoded.error, events::DecodeError::kNone) << decoded.reason;
    EXPECT_EQ(event.schema_version(), events::kCurrentSchemaVersion);
    v1::Event raw;
    ASSERT_TRUE(raw.ParseFromString(ReadFile(path)));
    versions.insert(raw.schema_version());
    state.Write(fold::Apply(state, event).changes);
  }
  EXPECT_EQ(versions, (std::set<uint32_t>{1, 2}));

  std::istringstream expected(ReadFile(dir / "expected.txt"));
  int customers = 0;
  for (std::string line; std::getline(expected, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string email, country;
    fields >> email >> country;
    SCOPED_TRACE(email);
    auto id = state.Get(fold::Table::kIdentity, "email:" + email);
    ASSERT_TRUE(id);
    auto customer = fold::LoadCustomer(state, *id);
    ASSERT_TRUE(customer);
    std::string stored;
    for (const auto& field : customer->fields())
      if (field.name() == "country") stored = field.value();
    EXPECT_EQ(stored, country);
    ++customers;
  }
  EXPECT_EQ(customers, 4);
  EXPECT_EQ(state.Rows(fold::Table::kCustomers).size(), 4u);
}

}  // namespace
}  // namespace accord
