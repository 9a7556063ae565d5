#include "domain/fold/overlay.h"

#include <stdexcept>

namespace accord::fold {

namespace {

size_t CachedBytes(std::string_view key, const std::optional<std::string>& value) {
  // 64: the hash node and the strings' own bookkeeping, roughly.
  return key.size() + (value ? value->size() : 0) + 64;
}

}  // namespace

std::optional<std::string> Overlay::Get(Table table, std::string_view key) const {
  const int index = static_cast<int>(table);
  const HashedKey hashed{key, KeyHash{}(key)};
  if (Cached(table))
    if (auto it = cache_[index].find(hashed); it != cache_[index].end()) return it->second;
  const auto* unstored = Unstored(index, hashed);
  auto value = unstored ? *unstored : base_.Get(table, key);
  if (Cached(table)) Keep(index, key, value);
  return value;
}

const std::optional<std::string>* Overlay::Unstored(int table, const HashedKey& key) const {
  if (auto it = pending_[table].find(key); it != pending_[table].end()) return &it->second;
  for (auto layer = sealed_.rbegin(); layer != sealed_.rend(); ++layer)
    if (auto it = (*layer)[table].find(key); it != (*layer)[table].end()) return &it->second;
  return nullptr;
}

void Overlay::MakeRoom(size_t bytes) const {
  if (cache_bytes_ + bytes <= cache_budget_) return;
  for (auto& cache : cache_) cache.clear();
  cache_bytes_ = 0;
}

void Overlay::Keep(int table, std::string_view key, const std::optional<std::string>& value) const {
  const size_t bytes = CachedBytes(key, value);
  MakeRoom(bytes);
  auto& cache = cache_[table];
  if (auto it = cache.find(key); it != cache.end()) {
    cache_bytes_ -= CachedBytes(it->first, it->second);
    it->second = value;
  } else {
    cache.emplace(key, value);
  }
  cache_bytes_ += bytes;
}

void Overlay::Record(std::vector<Change>& changes) {
  for (auto& change : changes) {
    const int index = static_cast<int>(change.table);
    if (Cached(change.table)) Keep(index, change.key, change.value);
    pending_[index].insert_or_assign(std::move(change.key), std::move(change.value));
  }
  changes.clear();
}

void Overlay::Stored() {
  for (auto& table : pending_) table.clear();
}

const Overlay::Writes& Overlay::Seal() {
  // std::deque keeps references to its elements valid when it grows.
  auto& sealed = sealed_.emplace_back();
  sealed.swap(pending_);
  return sealed;
}

void Overlay::StoredSealed() {
  if (sealed_.empty()) throw std::logic_error("no sealed writes to store");
  sealed_.pop_front();
}

}  // namespace accord::fold
