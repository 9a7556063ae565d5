#include "core/fold/overlay.h"

namespace accord::fold {

std::optional<std::string> Overlay::Get(Table table, std::string_view key) const {
  const auto& pending = pending_[static_cast<int>(table)];
  if (auto it = pending.find(std::string(key)); it != pending.end()) return it->second;
  return base_.Get(table, key);
}

void Overlay::Record(std::vector<Change>& changes) {
  for (auto& change : changes)
    pending_[static_cast<int>(change.table)][std::move(change.key)] = std::move(change.value);
  changes.clear();
}

void Overlay::Clear() {
  for (auto& pending : pending_) pending.clear();
}

}  // namespace accord::fold
