#pragma once

#include <array>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/hash/hash.h>

#include "domain/fold/state.h"

namespace accord::fold {

// The changes of a batch not yet written, layered over the stored state, so
// each event in a batch sees the effect of the ones before it.
//
// A batch can be sealed while it is being written: the next batches then
// record their changes on top of it, and reads see every layer until the
// sealed ones are stored, oldest first.
//
// It also keeps the newest values it read or recorded of the tables the fold
// reads by key (customers, identity, deals, campaigns, statistics, funnel,
// claims), so hot customers are found in one lookup rather than in every
// layer or the store. Only this overlay's owner writes its shards, so the
// copies stay exact. Event ids and timeline entries are written for good and
// hardly read again: they are not kept.
class Overlay : public StateReader {
 public:
  // `cache_bytes`: how much to keep of newest values; when more is kept, the
  // copies are dropped and gathered again from the layers and the store.
  explicit Overlay(const StateReader& base, size_t cache_bytes = 256u << 20)
      : base_(base), cache_budget_(cache_bytes) {}

  // A key with its hash, worked out once for every layer a read looks in.
  struct HashedKey {
    std::string_view key;
    size_t hash;
  };
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const { return absl::Hash<std::string_view>{}(key); }
    size_t operator()(const HashedKey& hashed) const { return hashed.hash; }
  };
  struct KeyEqual {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const { return a == b; }
    bool operator()(std::string_view a, const HashedKey& b) const { return a == b.key; }
    bool operator()(const HashedKey& a, std::string_view b) const { return a.key == b; }
  };
  // Writes of one table, unordered: the fold looks keys up far more often
  // than a batch is written, and the store sorts a batch's keys itself.
  using TableWrites =
      absl::flat_hash_map<std::string, std::optional<std::string>, KeyHash, KeyEqual>;
  using Writes = std::array<TableWrites, kTableCount>;

  std::optional<std::string> Get(Table table, std::string_view key) const override;
  void Record(std::vector<Change>& changes);
  const Writes& pending() const { return pending_; }
  const TableWrites& Pending(Table table) const { return pending_[static_cast<int>(table)]; }
  // The pending writes are now in the store.
  void Stored();

  // Freezes the pending writes for writing them while new ones are recorded.
  // The returned writes stay valid until StoredSealed() takes them.
  const Writes& Seal();
  // The oldest sealed writes are now in the store.
  void StoredSealed();

 private:
  static bool Cached(Table table) { return table != Table::kEvents && table != Table::kTimeline; }
  // The newest value of the key in the pending or sealed writes, if any.
  const std::optional<std::string>* Unstored(int table, const HashedKey& key) const;
  // Drops every cached copy when `bytes` more would exceed the budget.
  void MakeRoom(size_t bytes) const;
  void Keep(int table, std::string_view key, const std::optional<std::string>& value) const;

  const StateReader& base_;
  Writes pending_;
  // Newest last.
  std::deque<Writes> sealed_;
  const size_t cache_budget_;
  mutable TableWrites cache_[kTableCount];
  mutable size_t cache_bytes_ = 0;
};

}  // namespace accord::fold
