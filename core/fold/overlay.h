#pragma once

#include <map>
#include <string>

#include "core/fold/state.h"

namespace accord::fold {

// The changes of a batch not yet written, layered over the stored state, so
// each event in a batch sees the effect of the ones before it.
class Overlay : public StateReader {
 public:
  explicit Overlay(const StateReader& base) : base_(base) {}

  std::optional<std::string> Get(Table table, std::string_view key) const override;
  void Record(std::vector<Change>& changes);
  // Pending writes per table, in key order (deterministic write order).
  const std::map<std::string, std::optional<std::string>>& Pending(Table table) const {
    return pending_[static_cast<int>(table)];
  }
  void Clear();

 private:
  const StateReader& base_;
  std::map<std::string, std::optional<std::string>> pending_[kTableCount];
};

}  // namespace accord::fold
