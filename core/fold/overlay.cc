#include "core/fold/overlay.h"

#include <stdexcept>

namespace accord::fold {

std::optional<std::string> Overlay::Get(Table table, std::string_view key) const {
  const int index = static_cast<int>(table);
  if (auto it = pending_[index].find(key); it != pending_[index].end()) return it->second;
  for (auto layer = sealed_.rbegin(); layer != sealed_.rend(); ++layer)
    if (auto it = (*layer)[index].find(key); it != (*layer)[index].end()) return it->second;
  if (!Cached(table)) return base_.Get(table, key);
  if (auto it = cache_[index].find(key); it != cache_[index].end()) return it->second;
  auto value = base_.Get(table, key);
  Keep(table, std::string(key), std::optional<std::string>(value));
  return value;
}

namespace {

size_t CachedBytes(const std::string& key, const std::optional<std::string>& value) {
  // 64: the hash node and the strings' own bookkeeping, roughly.
  return key.size() + (value ? value->size() : 0) + 64;
}

}  // namespace

void Overlay::Keep(Table table, std::string key, std::optional<std::string> value) const {
  const size_t bytes = CachedBytes(key, value);
  if (cache_bytes_ + bytes > cache_budget_) {
    for (auto& cache : cache_) cache.clear();
    cache_bytes_ = 0;
  }
  auto& cache = cache_[static_cast<int>(table)];
  if (auto it = cache.find(key); it != cache.end()) {
    cache_bytes_ -= CachedBytes(it->first, it->second);
    it->second = std::move(value);
  } else {
    cache.emplace(std::move(key), std::move(value));
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
      for (auto& [key, value] : stored) Keep(table, key, std::move(value));
    stored.clear();
  }
}

void Overlay::Stored() {
  Cache(pending_);
}

const Overlay::Writes& Overlay::Seal() {
  // std::deque keeps references to its elements valid when it grows.
  auto& sealed = sealed_.emplace_back();
  sealed.swap(pending_);
  return sealed;
}

void Overlay::StoredSealed() {
  if (sealed_.empty()) throw std::logic_error("no sealed writes to store");
  Cache(sealed_.front());
  sealed_.pop_front();
}

}  // namespace accord::fold
