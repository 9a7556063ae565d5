#pragma once

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

  std::optional<std::string> Get(Table table, std::string_view key) const override;
  void Record(std::vector<Change>& changes);
  // Pending writes per table, in key order (deterministic write order).
  const std::map<std::string, std::optional<std::string>>& Pending(Table table) const {
    return pending_[static_cast<int>(table)];
  }
  // The pending writes are now in the store: they become cached copies.
  void Stored();
  // Forgets the pending writes (and the cached copies, which may have been
  // read from a store that is being replaced).
  void Clear();

 private:
  static bool Cached(Table table) { return table != Table::kEvents && table != Table::kTimeline; }
  void Keep(Table table, const std::string& key, const std::optional<std::string>& value) const;

  const StateReader& base_;
  std::map<std::string, std::optional<std::string>> pending_[kTableCount];
  const size_t cache_budget_;
  mutable std::unordered_map<std::string, std::optional<std::string>> cache_[kTableCount];
  mutable size_t cache_bytes_ = 0;
};

}  // namespace accord::fold
