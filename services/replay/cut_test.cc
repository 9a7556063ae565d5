#include "services/replay/cut.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace accord::replay {
namespace {

using ::testing::HasSubstr;

std::vector<kafka::PartitionRange> TwoEventPartitionsAndOneCampaigns() {
  return {{"accord.events", 0, 0, 120}, {"accord.events", 1, 0, 80}, {"accord.campaigns", 0, 0, 7}};
}

std::string CutMessage(const std::vector<kafka::PartitionRange>& partitions,
                       const std::optional<std::string>& offsets) {
  try {
    std::optional<std::vector<store::PartitionOffset>> cuts;
    if (offsets) cuts = ParseOffsetList(*offsets, "accord");
    PlanEndOffsets(partitions, cuts, "accord");
  } catch (const CutError& e) {
    return e.what();
  }
  return "no error";
}

TEST(OffsetListTest, ReadsStreamsWithOrWithoutThePrefix) {
  auto cuts = ParseOffsetList("events:0:1200,accord.events:1:0,campaigns:3:7", "accord");
  ASSERT_EQ(cuts.size(), 3u);
  EXPECT_EQ(cuts[0].stream, "events");
  EXPECT_EQ(cuts[0].partition, 0);
  EXPECT_EQ(cuts[0].next_offset, 1200);
  EXPECT_EQ(cuts[1].stream, "events");
  EXPECT_EQ(cuts[1].partition, 1);
  EXPECT_EQ(cuts[1].next_offset, 0);
  EXPECT_EQ(cuts[2].stream, "campaigns");
  EXPECT_EQ(FormatOffsetList(cuts), "events:0:1200,events:1:0,campaigns:3:7");
}

TEST(OffsetListTest, NamesTheElementThatIsNotStreamPartitionOffset) {
  for (const char* bad : {"", "events", "events:0", ":0:1", "events:x:1", "events:0:-1",
                          "events:0:1,", "events:0:99999999999999999999", "events:0:1 "}) {
    try {
      ParseOffsetList(bad, "accord");
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const CutError& e) {
      EXPECT_THAT(e.what(), HasSubstr("--until-offsets")) << bad;
    }
  }
}

TEST(OffsetListTest, RefusesAnotherPrefixsTopic) {
  for (const char* other : {"other.events:0:1", "accord.accord.events:0:1"}) {
    try {
      ParseOffsetList(other, "accord");
      ADD_FAILURE() << "accepted '" << other << "'";
    } catch (const CutError& e) {
      EXPECT_THAT(e.what(), HasSubstr("names no stream of accord")) << other;
    }
  }
}

TEST(OffsetListTest, RefusesAPartitionNamedTwice) {
  EXPECT_THROW(ParseOffsetList("events:0:1,accord.events:0:2", "accord"), CutError);
}

TEST(PlanEndOffsetsTest, WithoutACutEveryPartitionEndsAtItsEnd) {
  auto ends = PlanEndOffsets(TwoEventPartitionsAndOneCampaigns(), std::nullopt, "accord");
  EXPECT_EQ(
      ends,
      (std::map<std::pair<std::string, int32_t>, int64_t>{
          {{"accord.events", 0}, 120}, {{"accord.events", 1}, 80}, {{"accord.campaigns", 0}, 7}}));
}

TEST(PlanEndOffsetsTest, ACutStopsEachPartitionWhereItSays) {
  auto ends =
      PlanEndOffsets(TwoEventPartitionsAndOneCampaigns(),
                     ParseOffsetList("events:0:100,events:1:80,campaigns:0:0", "accord"), "accord");
  EXPECT_EQ(ends.at({"accord.events", 0}), 100);
  EXPECT_EQ(ends.at({"accord.events", 1}), 80);
  EXPECT_EQ(ends.at({"accord.campaigns", 0}), 0);
}

TEST(PlanEndOffsetsTest, ACutMustNameEveryPartitionAndNoOther) {
  EXPECT_THAT(CutMessage(TwoEventPartitionsAndOneCampaigns(), "events:0:100"),
              HasSubstr("names no offset for events:1, campaigns:0"));
  EXPECT_THAT(CutMessage(TwoEventPartitionsAndOneCampaigns(),
                         "events:0:1,events:1:1,campaigns:0:1,events:7:1"),
              HasSubstr("there is no partition events:7"));
}

TEST(PlanEndOffsetsTest, ACutPastTheEndIsRefused) {
  EXPECT_THAT(
      CutMessage(TwoEventPartitionsAndOneCampaigns(), "events:0:121,events:1:0,campaigns:0:0"),
      HasSubstr("events:0 holds offsets below 120, not 121"));
}

TEST(PlanEndOffsetsTest, AHistoryWhoseBeginningWasDeletedCannotBeReplayed) {
  auto partitions = TwoEventPartitionsAndOneCampaigns();
  partitions[1].low = 5;
  EXPECT_THAT(CutMessage(partitions, std::nullopt),
              HasSubstr("accord.events[1] starts at offset 5"));
}

}  // namespace
}  // namespace accord::replay
