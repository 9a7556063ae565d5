#include "domain/fold/overlay.h"

#include <gtest/gtest.h>

#include "domain/fold/testing/fold_testing.h"

namespace accord::fold {
namespace {

using test_support::MemoryState;

void Put(Overlay& overlay, Table table, const std::string& key, std::optional<std::string> value) {
  std::vector<Change> changes{{table, key, std::move(value)}};
  overlay.Record(changes);
}

// Writes the oldest sealed layer into `base`, the way the projector's write
// does, and tells the overlay.
void StoreOldest(MemoryState& base, Overlay& overlay, const Overlay::Writes& sealed) {
  for (auto table : kAllTables)
    for (const auto& [key, value] : sealed[static_cast<int>(table)]) base.Set(table, key, value);
  overlay.StoredSealed();
}

TEST(OverlayTest, ReadsSeeTheNewestOfPendingAndEverySealedLayer) {
  MemoryState base;
  base.Set(Table::kCustomers, "c1", "stored");
  base.Set(Table::kCustomers, "c3", "stored");
  Overlay overlay(base);

  Put(overlay, Table::kCustomers, "c1", "batch 1");
  Put(overlay, Table::kCustomers, "c2", "batch 1");
  const auto& first = overlay.Seal();
  Put(overlay, Table::kCustomers, "c1", "batch 2");
  Put(overlay, Table::kCustomers, "c3", std::nullopt);
  const auto& second = overlay.Seal();
  Put(overlay, Table::kCustomers, "c4", "batch 3");

  EXPECT_EQ(overlay.Get(Table::kCustomers, "c1"), "batch 2");
  EXPECT_EQ(overlay.Get(Table::kCustomers, "c2"), "batch 1");
  EXPECT_EQ(overlay.Get(Table::kCustomers, "c3"), std::nullopt);
  EXPECT_EQ(overlay.Get(Table::kCustomers, "c4"), "batch 3");

  // Stored oldest first; reads do not change as the layers reach the store.
  StoreOldest(base, overlay, first);
  EXPECT_EQ(overlay.Get(Table::kCustomers, "c1"), "batch 2");
  EXPECT_EQ(overlay.Get(Table::kCustomers, "c2"), "batch 1");
  StoreOldest(base, overlay, second);
  EXPECT_EQ(overlay.Get(Table::kCustomers, "c1"), "batch 2");
  EXPECT_EQ(overlay.Get(Table::kCustomers, "c3"), std::nullopt);
  EXPECT_EQ(base.Get(Table::kCustomers, "c1"), "batch 2");
  EXPECT_EQ(base.Get(Table::kCustomers, "c3"), std::nullopt);
  EXPECT_THROW(overlay.StoredSealed(), std::logic_error);
}

TEST(OverlayTest, CachedCopiesAreDroppedWhenOverBudgetAndReadAgain) {
  MemoryState base;
  Overlay overlay(base, /*cache_bytes=*/200);
  Put(overlay, Table::kCustomers, "c1", std::string(100, 'a'));
  StoreOldest(base, overlay, overlay.Seal());
  // Changed behind the overlay's back: a cached copy would still say 'a'.
  base.Set(Table::kCustomers, "c1", "changed");
  EXPECT_EQ(overlay.Get(Table::kCustomers, "c1"), std::string(100, 'a'));
  Put(overlay, Table::kCustomers, "c2", std::string(100, 'b'));
  StoreOldest(base, overlay, overlay.Seal());
  EXPECT_EQ(overlay.Get(Table::kCustomers, "c1"), "changed");
}

TEST(OverlayTest, ValuesBeingWrittenOutliveTheDroppedCopies) {
  MemoryState base;
  base.Set(Table::kCustomers, "c1", "stored");
  Overlay overlay(base, /*cache_bytes=*/200);
  Put(overlay, Table::kCustomers, "c1", std::string(100, 'a'));
  overlay.Seal();
  // Over the budget: every copy is dropped, c1's newest value with them.
  Put(overlay, Table::kCustomers, "c2", std::string(100, 'b'));
  EXPECT_EQ(overlay.Get(Table::kCustomers, "c1"), std::string(100, 'a'));
  EXPECT_EQ(overlay.Get(Table::kCustomers, "c2"), std::string(100, 'b'));
}

}  // namespace
}  // namespace accord::fold
