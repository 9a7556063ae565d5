#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "domain/fold/overlay.h"
#include "domain/fold/state.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace accord::store {

// The store could not be opened or written; the message names the directory
// and what is wrong.
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Meta key of a state `accord replay --until` built: the time it stopped at.
// Such a state lacks later events wherever they stand in the log, so it
// cannot be continued.
inline constexpr std::string_view kReplayedUntilKey = "replayed_until";

// A consumer position: the next offset to read from one partition of a
// stream. Streams are topics without the configured prefix ("events",
// "campaigns"), so a state does not depend on the topic prefix it was read
// under.
struct PartitionOffset {
  std::string stream;
  int32_t partition;
  int64_t next_offset;
};

// The projection's RocksDB: one column family per fold table, plus `offsets`
// (Kafka positions written in the same WriteBatch as the state they produced)
// and `meta` (store format). See docs/state.md.
class Store : public fold::StateReader {
 public:
  enum class Mode { kReadWrite, kReadOnly };
  // kReadWrite creates the directory when `create_if_missing`; kReadOnly
  // refuses a directory that holds no Accord store.
  static std::unique_ptr<Store> Open(const std::string& path, Mode mode,
                                     bool create_if_missing = true);
  ~Store() override;

  std::optional<std::string> Get(fold::Table table, std::string_view key) const override;

  // Writes the overlay's pending changes and the given offsets atomically.
  void Commit(const fold::Overlay& overlay, const std::vector<PartitionOffset>& offsets);
  // The same for writes an overlay sealed.
  void Commit(const fold::Overlay::Writes& writes, const std::vector<PartitionOffset>& offsets);

  // Next offset stored for a partition, if any.
  std::optional<int64_t> StoredOffset(const std::string& stream, int32_t partition) const;
  std::vector<PartitionOffset> AllOffsets() const;

  using Visitor = std::function<bool(std::string_view key, std::string_view value)>;
  // Visits every key of a table in key order; stop by returning false.
  void Scan(fold::Table table, const Visitor& visit) const;
  // Visits the keys that start with `prefix`, in key order.
  void ScanPrefix(fold::Table table, std::string_view prefix, const Visitor& visit) const;

  // SHA-256 over every fold table's keys and values in key order. Offsets and
  // metadata are excluded: the hash is a function of the folded history only.
  std::string StateHash() const;

  // The hash of the state several projection instances hold together: each
  // shard (see fold/shard.h) is taken from the store that folded its
  // partition furthest. Equals StateHash() of one store that folded
  // everything, since every key the projection writes lies in a shard.
  static std::string CombinedStateHash(const std::vector<const Store*>& stores);

  // Store-wide facts beside the format version (docs/state.md, `meta`).
  std::optional<std::string> Meta(std::string_view key) const;
  void PutMeta(std::string_view key, std::string_view value);

  // A RocksDB checkpoint of the state as of the last write, offsets
  // included, in `dir` (which must not exist); cheap while writes go on.
  void Checkpoint(const std::string& dir);

  const std::string& path() const { return path_; }

 private:
  Store() = default;
  rocksdb::ColumnFamilyHandle* Handle(fold::Table table) const;

  std::string path_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // in kAllTables order, then offsets, meta
};

// Throws StoreError unless `path` is missing or an empty directory: commands
// that build a state from nothing never write over another one. `what`
// names the command's option in the message ("--db").
void RequireFreshDirectory(const std::string& path, std::string_view what);

}  // namespace accord::store
