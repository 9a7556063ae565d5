#include "services/snapshot/snapshot.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "services/api/testing/state_builder.h"

namespace accord::snapshot {
namespace {

using namespace accord::api::testing;
using ::testing::HasSubstr;

class SnapshotTest : public ::testing::Test {
 protected:
  SnapshotTest() {
    live_.Fold("events", 0, {Contact({.record = "m1", .email = "anna@firma.de"})});
    live_.Fold("events", 1, {Contact({.record = "m2", .email = "bernd@firma.de"})});
  }

  api::Response Request(const std::string& path) {
    return AnswerSnapshotRequest(live_.store(), nlohmann::json{{"path", path}}.dump());
  }

  TempDir dir_;
  StateBuilder live_{dir_.Sub("live")};
};

TEST_F(SnapshotTest, ASnapshotHoldsTheStateAndItsOffsetsAsTheyWere) {
  const std::string hash_then = live_.store().StateHash();
  ASSERT_EQ(Request(dir_.Sub("snap")).status, 201);
  live_.Fold("events", 0, {Contact({.record = "m3", .email = "carla@firma.de"})});

  const auto info = Inspect(dir_.Sub("snap"));
  EXPECT_EQ(info.state_hash, hash_then);
  EXPECT_NE(info.state_hash, live_.store().StateHash());
  ASSERT_EQ(info.offsets.size(), 2u);
  EXPECT_EQ(info.offsets[0].stream, "events");
  EXPECT_EQ(info.offsets[0].next_offset, 1);
  EXPECT_EQ(info.offsets[1].next_offset, 1);
}

TEST_F(SnapshotTest, RequestsWithoutAFreshAbsolutePathAreRefused) {
  EXPECT_EQ(AnswerSnapshotRequest(live_.store(), "not json").status, 400);
  EXPECT_EQ(AnswerSnapshotRequest(live_.store(), R"({"dir": "/tmp/x"})").status, 400);
  EXPECT_EQ(Request("relative/snap").status, 400);
  ASSERT_EQ(Request(dir_.Sub("snap")).status, 201);
  const auto again = Request(dir_.Sub("snap"));
  EXPECT_EQ(again.status, 409);
  EXPECT_THAT(again.body, HasSubstr("exists already"));
}

TEST_F(SnapshotTest, ARestoredSnapshotEqualsTheOriginalAndLeavesItUntouched) {
  Create(live_.store(), dir_.Sub("snap"));
  Restore(dir_.Sub("snap"), dir_.Sub("restored"));
  {
    auto restored = store::Store::Open(dir_.Sub("restored"), store::Store::Mode::kReadWrite);
    EXPECT_EQ(restored->StateHash(), live_.store().StateHash());
    EXPECT_EQ(restored->StoredOffset("events", 1), 1);
    restored->PutMeta("written_after_restore", "yes");
  }
  auto snapshot = store::Store::Open(dir_.Sub("snap"), store::Store::Mode::kReadOnly);
  EXPECT_FALSE(snapshot->Meta("written_after_restore"));
}

TEST_F(SnapshotTest, RestoreNeverWritesOverAnotherState) {
  Create(live_.store(), dir_.Sub("snap"));
  Restore(dir_.Sub("snap"), dir_.Sub("restored"));
  try {
    Restore(dir_.Sub("snap"), dir_.Sub("restored"));
    FAIL() << "restored over a state";
  } catch (const store::StoreError& e) {
    EXPECT_THAT(e.what(), HasSubstr("is not empty"));
  }
}

TEST_F(SnapshotTest, AStateCutByEventTimeIsNoSnapshot) {
  {
    StateBuilder replayed(dir_.Sub("replayed"));
    replayed.store().PutMeta(store::kReplayedUntilKey, "2025-03-14T09:30:00.000Z");
  }
  try {
    Inspect(dir_.Sub("replayed"));
    FAIL() << "accepted a replay --until state";
  } catch (const store::StoreError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot be continued"));
  }
  EXPECT_THROW(Restore(dir_.Sub("replayed"), dir_.Sub("restored")), store::StoreError);
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("restored")));
}

TEST_F(SnapshotTest, ASnapshotOfAnotherStoreFormatIsRefused) {
  Create(live_.store(), dir_.Sub("snap"));
  {
    auto snapshot = store::Store::Open(dir_.Sub("snap"), store::Store::Mode::kReadWrite);
    snapshot->PutMeta("format_version", "3");
  }
  try {
    Restore(dir_.Sub("snap"), dir_.Sub("restored"));
    FAIL() << "restored a snapshot of format 3";
  } catch (const store::StoreError& e) {
    EXPECT_THAT(e.what(), HasSubstr("not a usable snapshot"));
    EXPECT_THAT(e.what(), HasSubstr("format 3"));
  }
}

TEST_F(SnapshotTest, WhatIsNoStateIsNoSnapshot) {
  std::filesystem::create_directories(dir_.Sub("empty"));
  EXPECT_THROW(Inspect(dir_.Sub("empty")), store::StoreError);
  EXPECT_THROW(Inspect(dir_.Sub("missing")), store::StoreError);
}

}  // namespace
}  // namespace accord::snapshot
