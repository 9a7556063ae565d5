#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "connectors/cdc/pgoutput.h"

namespace accord::connectors::cdc {

// The columns a row change offers a mapping besides the table's own.
inline constexpr const char* kPseudoColumns[] = {
    "_op",           // insert, update or delete
    "_lsn",          // the change's position in the WAL, a decimal number
    "_commit_time",  // when its transaction committed, ISO 8601 UTC
    "_table",        // schema.table
};

struct ChangeRecord {
  std::string table;  // schema.table
  RowChange::Op op = RowChange::Op::kInsert;
  uint64_t lsn = 0;
  // Column name -> text; nullopt for NULL and for TOASTed values the change
  // left untouched (not sent), so a mapping leaves those fields unset.
  std::map<std::string, std::optional<std::string>> columns;
};

struct CommittedTransaction {
  uint64_t end_lsn = 0;  // confirm this once its changes are safe
  std::vector<ChangeRecord> changes;
};

// Assembles the pgoutput stream into committed transactions, in commit
// order (the order the server sends them). Pure: no I/O, no clock.
class ChangeStream {
 public:
  // Throws ProtocolError for a malformed or out-of-order stream.
  std::optional<CommittedTransaction> Add(const XLogData& data);
  bool InTransaction() const { return open_.has_value(); }

 private:
  std::map<uint32_t, Relation> relations_;
  std::optional<Begin> open_;
  std::vector<ChangeRecord> changes_;
};

}  // namespace accord::connectors::cdc
