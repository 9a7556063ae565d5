#include "core/fold/overlay.h"

#include <stdexcept>

namespace accord::fold {

std::optional<std::string> Overlay::Get(Table table, std::string_view key) const {
  const int index = static_cast<int>(table);
  std::string owned(key);
  if (auto it = pending_[index].find(owned); it != pending_[index].end()) return it->second;
  if (auto it = sealed_[index].find(owned); it != sealed_[index].end()) return it->second;
  if (!Cached(table)) return base_.Get(table, key);
  if (auto it = cache_[index].find(owned); it != cache_[index].end()) return it->second;
  auto value = base_.Get(table, key);
  Keep(table, owned, value);
  return value;
}

void Overlay::Keep(Table table, const std::string& key,
                   const std::optional<std::string>& value) const {
  size_t bytes = key.size() + (value ? value->size() : 0) + 64;
  if (cache_bytes_ + bytes > cache_budget_) {
    for (auto& cache : cache_) cache.clear();
    cache_bytes_ = 0;
  }
  auto [it, inserted] = cache_[static_cast<int>(table)].try_emplace(key, value);
  if (!inserted) {
    cache_bytes_ -= it->first.size() + (it->second ? it->second->size() : 0) + 64;
    it->second = value;
  }
  cache_bytes_ += bytes;
}

void Overlay::Record(std::vector<Change>& changes) {
  for (auto& change : changes)
    pending_[static_cast<int>(change.table)][std::move(change.key)] = std::move(change.value);
  changes.clear();
}

void Overlay::Cache(Writes& writes) {
  for (auto table : kAllTables) {
    auto& stored = writes[static_cast<int>(table)];
    if (Cached(table))
      for (const auto& [key, value] : stored) Keep(table, key, value);
    stored.clear();
  }
}

void Overlay::Stored() {
  Cache(pending_);
}

void Overlay::Seal() {
  for (auto table : kAllTables) {
    const int index = static_cast<int>(table);
    if (!sealed_[index].empty()) throw std::logic_error("sealing over writes not yet stored");
    sealed_[index].swap(pending_[index]);
  }
}

void Overlay::StoredSealed() {
  Cache(sealed_);
}

}  // namespace accord::fold
