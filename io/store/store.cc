#include "io/store/store.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "domain/fold/shard.h"
#include "domain/util/hash.h"

namespace accord::store {
namespace {

constexpr std::string_view kOffsetsFamily = "offsets";
constexpr std::string_view kMetaFamily = "meta";
constexpr std::string_view kFormatKey = "format_version";
// Bumped when keys or value encodings change incompatibly.
constexpr std::string_view kFormatVersion = "4";

int OffsetsIndex() {
  return fold::kTableCount;
}
int MetaIndex() {
  return fold::kTableCount + 1;
}

std::string OffsetKey(const std::string& stream, int32_t partition) {
  return stream + "/" + std::to_string(partition);
}

rocksdb::ColumnFamilyOptions FamilyOptions(const std::shared_ptr<rocksdb::Cache>& block_cache) {
  rocksdb::ColumnFamilyOptions options;
  rocksdb::BlockBasedTableOptions table;
  // Point lookups dominate (identity, event-id dedup) and most dedup lookups
  // miss: a bloom filter answers those without reading a block.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.block_cache = block_cache;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // The same for the memtable, where the event ids of recent batches sit: a
  // miss there would otherwise walk the skip list.
  options.memtable_prefix_bloom_size_ratio = 0.05;
  options.memtable_whole_key_filtering = true;
  return options;
}

}  // namespace

std::unique_ptr<Store> Store::Open(const std::string& path, Mode mode, bool create_if_missing) {
  namespace fs = std::filesystem;
  std::error_code ec;
  bool exists = fs::exists(path + "/CURRENT", ec);
  if (!exists && (mode == Mode::kReadOnly || !create_if_missing))
    throw StoreError("no Accord state at " + path + " (directory missing or empty)");

  // One block cache for every column family: reads of customers and
  // identities that fell out of the memtables stay in memory.
  auto block_cache = rocksdb::NewLRUCache(256u << 20);
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  families.emplace_back(rocksdb::kDefaultColumnFamilyName, FamilyOptions(block_cache));
  for (auto table : fold::kAllTables)
    families.emplace_back(std::string(fold::TableName(table)), FamilyOptions(block_cache));
  families.emplace_back(std::string(kOffsetsFamily), FamilyOptions(block_cache));
  families.emplace_back(std::string(kMetaFamily), FamilyOptions(block_cache));

  if (exists) {
    std::vector<std::string> present;
    auto listed = rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &present);
    if (!listed.ok()) throw StoreError("cannot open state at " + path + ": " + listed.ToString());
    for (const auto& family : families) {
      if (mode == Mode::kReadOnly &&
          std::find(present.begin(), present.end(), family.name) == present.end())
        throw StoreError(path + " was written by another version of Accord (no column family " +
                         family.name +
                         "); rebuild it by folding the history into a fresh "
                         "directory");
    }
  }

  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.IncreaseParallelism(2);
  options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;

  std::unique_ptr<Store> store(new Store());
  store->path_ = path;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  rocksdb::Status status;
  if (mode == Mode::kReadOnly) {
    status = rocksdb::DB::OpenForReadOnly(options, path, families, &handles, &db);
  } else {
    fs::create_directories(path, ec);
    status = rocksdb::DB::Open(options, path, families, &handles, &db);
  }
  if (!status.ok() && status.ToString().find("lock") != std::string::npos)
    throw StoreError(path +
                     " is in use by another process (a running projection?): " + status.ToString());
  if (!status.ok()) throw StoreError("cannot open state at " + path + ": " + status.ToString());
  store->db_.reset(db);
  // Index 0 is the default family, which Accord does not use.
  store->handles_.assign(handles.begin() + 1, handles.end());
  delete handles.front();

  std::string format;
  auto meta = store->handles_[MetaIndex()];
  status = db->Get(rocksdb::ReadOptions(), meta, kFormatKey, &format);
  if (status.IsNotFound()) {
    if (mode == Mode::kReadOnly) throw StoreError(path + " is not an Accord state directory");
    status = db->Put(rocksdb::WriteOptions(), meta, kFormatKey, kFormatVersion);
    if (!status.ok()) throw StoreError("cannot write " + path + ": " + status.ToString());
  } else if (!status.ok()) {
    throw StoreError("cannot read " + path + ": " + status.ToString());
  } else if (format != kFormatVersion) {
    throw StoreError(path + " holds state format " + format + ", this build reads " +
                     std::string(kFormatVersion) +
                     "; rebuild it by folding the history into a fresh directory");
  }
  return store;
}

Store::~Store() {
  for (auto* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
}

rocksdb::ColumnFamilyHandle* Store::Handle(fold::Table table) const {
  return handles_[static_cast<int>(table)];
}

std::optional<std::string> Store::Get(fold::Table table, std::string_view key) const {
  std::string value;
  auto status = db_->Get(rocksdb::ReadOptions(), Handle(table), key, &value);
  if (status.IsNotFound()) return std::nullopt;
  if (!status.ok()) throw StoreError("read from " + path_ + " failed: " + status.ToString());
  return value;
}

void Store::Commit(const fold::Overlay& overlay, const std::vector<PartitionOffset>& offsets) {
  Commit(overlay.pending(), offsets);
}

void Store::Commit(const fold::Overlay::Writes& writes,
                   const std::vector<PartitionOffset>& offsets) {
  rocksdb::WriteBatch batch;
  using Entry = fold::Overlay::TableWrites::value_type;
  std::vector<const Entry*> sorted;
  for (auto table : fold::kAllTables) {
    const auto& entries = writes[static_cast<int>(table)];
    sorted.clear();
    for (const auto& entry : entries) sorted.push_back(&entry);
    // In key order, each key lands next to the one before it in the memtable's
    // skip list, which finds its place from there.
    std::sort(sorted.begin(), sorted.end(),
              [](const Entry* a, const Entry* b) { return a->first < b->first; });
    for (const auto* entry : sorted) {
      if (entry->second)
        batch.Put(Handle(table), entry->first, *entry->second);
      else
        batch.Delete(Handle(table), entry->first);
    }
  }
  for (const auto& offset : offsets)
    batch.Put(handles_[OffsetsIndex()], OffsetKey(offset.stream, offset.partition),
              std::to_string(offset.next_offset));
  // The WAL makes the batch survive a process crash without fsync; after a
  // power loss the state and its offsets roll back together, and Kafka still
  // holds the events, so nothing is lost or counted twice either way.
  auto status = db_->Write(rocksdb::WriteOptions(), &batch);
  if (!status.ok()) throw StoreError("write to " + path_ + " failed: " + status.ToString());
}

std::optional<std::string> Store::Meta(std::string_view key) const {
  std::string value;
  auto status = db_->Get(rocksdb::ReadOptions(), handles_[MetaIndex()], key, &value);
  if (status.IsNotFound()) return std::nullopt;
  if (!status.ok()) throw StoreError("read from " + path_ + " failed: " + status.ToString());
  return value;
}

void Store::PutMeta(std::string_view key, std::string_view value) {
  auto status = db_->Put(rocksdb::WriteOptions(), handles_[MetaIndex()], key, value);
  if (!status.ok()) throw StoreError("write to " + path_ + " failed: " + status.ToString());
}

void Store::Checkpoint(const std::string& dir) {
  rocksdb::Checkpoint* raw = nullptr;
  auto status = rocksdb::Checkpoint::Create(db_.get(), &raw);
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  if (status.ok()) status = checkpoint->CreateCheckpoint(dir);
  if (!status.ok())
    throw StoreError("cannot snapshot " + path_ + " into " + dir + ": " + status.ToString());
}

void RequireFreshDirectory(const std::string& path, std::string_view what) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(path, ec)) return;
  if (!fs::is_directory(path, ec))
    throw StoreError(std::string(what) + " " + path + " is not a directory");
  if (!fs::is_empty(path, ec))
    throw StoreError(std::string(what) + " " + path +
                     " is not empty: give a fresh directory, this command never writes into "
                     "one that holds another state");
}

std::optional<int64_t> Store::StoredOffset(const std::string& stream, int32_t partition) const {
  std::string value;
  auto status = db_->Get(rocksdb::ReadOptions(), handles_[OffsetsIndex()],
                         OffsetKey(stream, partition), &value);
  if (status.IsNotFound()) return std::nullopt;
  if (!status.ok()) throw StoreError("read from " + path_ + " failed: " + status.ToString());
  return std::stoll(value);
}

std::vector<PartitionOffset> Store::AllOffsets() const {
  std::vector<PartitionOffset> out;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), handles_[OffsetsIndex()]));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string key = it->key().ToString();
    auto slash = key.rfind('/');
    out.push_back({key.substr(0, slash), std::stoi(key.substr(slash + 1)),
                   std::stoll(it->value().ToString())});
  }
  return out;
}

void Store::Scan(fold::Table table, const Visitor& visit) const {
  ScanPrefix(table, "", visit);
}

void Store::ScanPrefix(fold::Table table, std::string_view prefix, const Visitor& visit) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), Handle(table)));
  for (it->Seek(rocksdb::Slice(prefix.data(), prefix.size())); it->Valid(); it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    if (!key.starts_with(prefix)) break;
    if (!visit(key, std::string_view(it->value().data(), it->value().size()))) break;
  }
  if (!it->status().ok())
    throw StoreError("scan of " + path_ + " failed: " + it->status().ToString());
}

namespace {

void HashEntries(Sha256& sha, const Store& store, fold::Table table, std::string_view prefix) {
  store.ScanPrefix(table, prefix, [&](std::string_view key, std::string_view value) {
    sha.UpdateField(key);
    sha.UpdateField(value);
    return true;
  });
}

}  // namespace

std::string Store::StateHash() const {
  Sha256 sha;
  for (auto table : fold::kAllTables) {
    sha.UpdateField(fold::TableName(table));
    HashEntries(sha, *this, table, "");
  }
  auto digest = sha.Finish();
  return HexEncode(digest.data(), digest.size());
}

std::string Store::CombinedStateHash(const std::vector<const Store*>& stores) {
  // Owner of each shard: the store with the highest offset for its partition.
  std::map<std::string, std::pair<int64_t, const Store*>> owners;
  for (const Store* store : stores) {
    for (const auto& offset : store->AllOffsets()) {
      auto& owner = owners[fold::ShardPrefix(offset.stream, offset.partition)];
      if (owner.second == nullptr || offset.next_offset > owner.first)
        owner = {offset.next_offset, store};
    }
  }
  Sha256 sha;
  for (auto table : fold::kAllTables) {
    sha.UpdateField(fold::TableName(table));
    // Shard prefixes end in '/', so none is a prefix of another and shards in
    // prefix order are keys in key order.
    for (const auto& [prefix, owner] : owners) HashEntries(sha, *owner.second, table, prefix);
  }
  auto digest = sha.Finish();
  return HexEncode(digest.data(), digest.size());
}

}  // namespace accord::store
