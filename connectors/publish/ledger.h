#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace rocksdb {
class DB;
}

namespace accord::connectors {

// The event ids a connector has had acknowledged by Kafka, on local disk
// (RocksDB), so that reading the same input again publishes nothing new.
// Ids are recorded only after Kafka acknowledged them: a crash in between
// publishes them again, and consumers drop the duplicates by id.
class Ledger {
 public:
  // Creates the directory when missing; throws std::runtime_error naming it
  // when it cannot be opened (for example while another import holds it).
  explicit Ledger(const std::string& directory);
  ~Ledger();

  bool Contains(std::string_view event_id) const;
  void Record(const std::vector<std::string>& event_ids);

 private:
  std::string directory_;
  std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace accord::connectors
