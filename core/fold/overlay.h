#pragma once

#include <array>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/fold/state.h"

namespace accord::fold {

// The changes of a batch not yet written, layered over the stored state, so
// each event in a batch sees the effect of the ones before it.
//
// A batch can be sealed while it is being written: the next batches then
// record their changes on top of it, and reads see every layer until the
// sealed ones are stored, oldest first.
//
// It also keeps recently read and written values of the tables the fold
// reads by key (customers, identity, deals, campaigns, statistics, funnel,
// claims) once they are stored, so hot customers are not read back from the
// store for every event. Only this overlay's owner writes the store, so the
// copies stay exact. Event ids and timeline entries are written for good and
// hardly read again: they are not kept.
class Overlay : public StateReader {
 public:
  // `cache_bytes`: how much to keep of stored values; when more is kept, the
  // copies are dropped and gathered again from the store.
  explicit Overlay(const StateReader& base, size_t cache_bytes = 256u << 20)
      : base_(base), cache_budget_(cache_bytes) {}

  // Writes of one table, in key order (deterministic write order); looked up
  // by the fold's string_views without copying them.
  using TableWrites = std::map<std::string, std::optional<std::string>, std::less<>>;
  using Writes = std::array<TableWrites, kTableCount>;

  std::optional<std::string> Get(Table table, std::string_view key) const override;
  void Record(std::vector<Change>& changes);
  const Writes& pending() const { return pending_; }
  const TableWrites& Pending(Table table) const { return pending_[static_cast<int>(table)]; }
  // The pending writes are now in the store: they become cached copies.
  void Stored();

  // Freezes the pending writes for writing them while new ones are recorded.
  // The returned writes stay valid until StoredSealed() takes them.
  const Writes& Seal();
  // The oldest sealed writes are now in the store: they become cached copies.
  void StoredSealed();

 private:
  static bool Cached(Table table) { return table != Table::kEvents && table != Table::kTimeline; }
  void Keep(Table table, std::string key, std::optional<std::string> value) const;

  void Cache(Writes& writes);

  const StateReader& base_;
  Writes pending_;
  // Newest last.
  std::deque<Writes> sealed_;
  const size_t cache_budget_;
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
  };
  mutable std::unordered_map<std::string, std::optional<std::string>, KeyHash, std::equal_to<>>
      cache_[kTableCount];
  mutable size_t cache_bytes_ = 0;
};

}  // namespace accord::fold
