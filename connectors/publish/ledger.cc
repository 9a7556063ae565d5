#include "connectors/publish/ledger.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <filesystem>
#include <stdexcept>

namespace accord::connectors {

Ledger::Ledger(const std::string& directory) : directory_(directory) {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  rocksdb::Options options;
  options.create_if_missing = true;
  options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  rocksdb::DB* db = nullptr;
  auto status = rocksdb::DB::Open(options, directory, &db);
  if (!status.ok())
    throw std::runtime_error("cannot open the import ledger " + directory + ": " +
                             status.ToString());
  db_.reset(db);
}

Ledger::~Ledger() = default;

bool Ledger::Contains(std::string_view event_id) const {
  std::string value;
  auto status =
      db_->Get(rocksdb::ReadOptions(), rocksdb::Slice(event_id.data(), event_id.size()), &value);
  if (status.IsNotFound()) return false;
  if (!status.ok())
    throw std::runtime_error("cannot read the import ledger " + directory_ + ": " +
                             status.ToString());
  return true;
}

void Ledger::Record(const std::vector<std::string>& event_ids) {
  rocksdb::WriteBatch batch;
  for (const auto& id : event_ids) batch.Put(id, "");
  auto status = db_->Write(rocksdb::WriteOptions(), &batch);
  if (!status.ok())
    throw std::runtime_error("cannot write the import ledger " + directory_ + ": " +
                             status.ToString());
}

}  // namespace accord::connectors
