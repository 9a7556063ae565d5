#include "io/store/store.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

namespace accord::store {
namespace {

using fold::Change;
using fold::Overlay;
using fold::Table;

// A fresh directory under /tmp, removed with everything in it afterwards.
class TempDir {
 public:
  TempDir() {
    std::string pattern = "/tmp/accord-store-test-XXXXXX";
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// An empty reader for overlays that only carry writes.
class NoState : public fold::StateReader {
 public:
  std::optional<std::string> Get(Table, std::string_view) const override { return std::nullopt; }
};

void Commit(Store& store, std::vector<Change> changes,
            const std::vector<PartitionOffset>& offsets = {}) {
  NoState empty;
  Overlay overlay(empty);
  overlay.Record(changes);
  store.Commit(overlay, offsets);
}

std::vector<Change> SampleChanges() {
  return {{Table::kCustomers, "c1", "customer-1"},
          {Table::kCustomers, "c2", "customer-2"},
          {Table::kIdentity, "email:a@corp.de", "c1"},
          {Table::kDeals, "crm:d1", "deal"},
          {Table::kCampaigns, "spring", "campaign"},
          {Table::kCampaignStats, "spring", "stats"},
          {Table::kEvents, "e1", "applied"}};
}

class StoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> OpenFresh(const std::string& name) {
    return Store::Open(dir_.Sub(name), Store::Mode::kReadWrite);
  }
  TempDir dir_;
};

TEST_F(StoreTest, CommitWritesStateAndOffsetsTogether) {
  auto store = OpenFresh("s");
  EXPECT_EQ(store->Get(Table::kCustomers, "c1"), std::nullopt);
  EXPECT_EQ(store->StoredOffset("events", 0), std::nullopt);

  Commit(*store, SampleChanges(), {{"events", 0, 42}, {"events", 3, 7}});
  EXPECT_EQ(store->Get(Table::kCustomers, "c1"), "customer-1");
  EXPECT_EQ(store->Get(Table::kIdentity, "email:a@corp.de"), "c1");
  EXPECT_EQ(store->Get(Table::kEvents, "e1"), "applied");
  // Tables are separate key spaces.
  EXPECT_EQ(store->Get(Table::kCampaignStats, "spring"), "stats");
  EXPECT_EQ(store->Get(Table::kCustomers, "spring"), std::nullopt);
  EXPECT_EQ(store->StoredOffset("events", 0), 42);
  EXPECT_EQ(store->StoredOffset("events", 3), 7);
  EXPECT_EQ(store->StoredOffset("events", 1), std::nullopt);
  EXPECT_EQ(store->StoredOffset("other", 0), std::nullopt);

  // A later batch overwrites, deletes (empty value) and advances offsets.
  Commit(*store,
         {{Table::kCustomers, "c1", "customer-1b"}, {Table::kCustomers, "c2", std::nullopt}},
         {{"events", 0, 50}});
  EXPECT_EQ(store->Get(Table::kCustomers, "c1"), "customer-1b");
  EXPECT_EQ(store->Get(Table::kCustomers, "c2"), std::nullopt);
  EXPECT_EQ(store->StoredOffset("events", 0), 50);
  EXPECT_EQ(store->StoredOffset("events", 3), 7);

  auto offsets = store->AllOffsets();
  ASSERT_EQ(offsets.size(), 2u);
  EXPECT_EQ(offsets[0].stream, "events");
  EXPECT_EQ(offsets[0].partition, 0);
  EXPECT_EQ(offsets[0].next_offset, 50);
  EXPECT_EQ(offsets[1].partition, 3);
  EXPECT_EQ(offsets[1].next_offset, 7);
}

TEST_F(StoreTest, ScanVisitsKeysInOrderAndStops) {
  auto store = OpenFresh("s");
  Commit(*store, {{Table::kIdentity, "b", "2"},
                  {Table::kIdentity, "a", "1"},
                  {Table::kIdentity, "c", "3"},
                  {Table::kCustomers, "x", "y"}});
  std::vector<std::string> keys;
  store->Scan(Table::kIdentity, [&](std::string_view key, std::string_view) {
    keys.emplace_back(key);
    return true;
  });
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "b", "c"}));
  keys.clear();
  store->Scan(Table::kIdentity, [&](std::string_view key, std::string_view) {
    keys.emplace_back(key);
    return keys.size() < 2;
  });
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "b"}));
}

TEST_F(StoreTest, ReopenReadOnlySeesCommittedData) {
  const std::string path = dir_.Sub("s");
  std::string hash;
  {
    auto store = OpenFresh("s");
    Commit(*store, SampleChanges(), {{"events", 1, 9}});
    hash = store->StateHash();
  }
  auto reader = Store::Open(path, Store::Mode::kReadOnly);
  EXPECT_EQ(reader->Get(Table::kDeals, "crm:d1"), "deal");
  EXPECT_EQ(reader->StoredOffset("events", 1), 9);
  EXPECT_EQ(reader->StateHash(), hash);
  EXPECT_EQ(reader->path(), path);
}

TEST_F(StoreTest, ReadOnlyOpenOfMissingDirectoryNamesThePath) {
  const std::string path = dir_.Sub("does-not-exist");
  try {
    Store::Open(path, Store::Mode::kReadOnly);
    FAIL() << "expected StoreError";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_THROW(Store::Open(path, Store::Mode::kReadWrite, /*create_if_missing=*/false), StoreError);
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(StoreTest, StateHashDependsOnContentNotOnBatching) {
  auto whole = OpenFresh("whole");
  Commit(*whole, SampleChanges(), {{"events", 0, 7}});

  auto pieces = OpenFresh("pieces");
  auto changes = SampleChanges();
  // Same end state in three commits, with a key written and deleted on the way
  // and a value overwritten; offsets differ and must not matter.
  Commit(*pieces, {changes[0], {Table::kCustomers, "c2", "draft"}, {Table::kEvents, "tmp", "x"}},
         {{"events", 0, 1}});
  Commit(*pieces, {changes[1], changes[2], changes[3], {Table::kEvents, "tmp", std::nullopt}},
         {{"events", 0, 3}, {"events", 5, 1}});
  Commit(*pieces, {changes[4], changes[5], changes[6]}, {{"events", 0, 99}});

  EXPECT_EQ(whole->StateHash(), pieces->StateHash());
  EXPECT_EQ(whole->StateHash().size(), 64u);

  auto other = OpenFresh("other");
  changes[3].value = "deal-changed";
  Commit(*other, changes);
  EXPECT_NE(other->StateHash(), whole->StateHash());

  // The same key and value in another table is other content.
  auto moved = OpenFresh("moved");
  changes = SampleChanges();
  changes[3].table = Table::kCampaigns;
  Commit(*moved, changes);
  EXPECT_NE(moved->StateHash(), whole->StateHash());
}

TEST_F(StoreTest, StateHashExcludesOffsets) {
  auto a = OpenFresh("a");
  auto b = OpenFresh("b");
  EXPECT_EQ(a->StateHash(), b->StateHash());
  Commit(*a, {}, {{"events", 0, 1000}});
  EXPECT_EQ(a->StateHash(), b->StateHash());
  Commit(*b, {{Table::kEvents, "e1", "applied"}});
  EXPECT_NE(a->StateHash(), b->StateHash());
}

// Two instances split six partitions; one of them also holds a stale copy
// of a partition it folded before a rebalance took it away.
TEST_F(StoreTest, CombinedHashTakesEachShardFromItsFurthestStore) {
  auto all = OpenFresh("all");
  auto first = OpenFresh("first");
  auto second = OpenFresh("second");
  auto shard_changes = [](int partition, const std::string& value) {
    std::string prefix = "events/" + std::to_string(partition) + "/";
    return std::vector<Change>{{Table::kCustomers, prefix + "c", value},
                               {Table::kEvents, prefix + "e", value}};
  };
  for (int p = 0; p < 6; ++p) {
    Commit(*all, shard_changes(p, "final" + std::to_string(p)), {{"events", p, 100}});
    Commit(p < 3 ? *first : *second, shard_changes(p, "final" + std::to_string(p)),
           {{"events", p, 100}});
  }
  Commit(*first, shard_changes(4, "stale"), {{"events", 4, 40}});

  EXPECT_EQ(Store::CombinedStateHash({all.get()}), all->StateHash());
  EXPECT_EQ(Store::CombinedStateHash({first.get(), second.get()}), all->StateHash());
  EXPECT_EQ(Store::CombinedStateHash({second.get(), first.get()}), all->StateHash());
  EXPECT_NE(Store::CombinedStateHash({first.get()}), all->StateHash());
}

}  // namespace
}  // namespace accord::store
