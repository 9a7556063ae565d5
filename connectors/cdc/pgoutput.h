#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

// PostgreSQL's logical replication stream as the built-in `pgoutput` plugin
// writes it (protocol version 1), decoded without I/O: the CopyData frames
// of the walsender (XLogData, keepalives, the standby's status update) and
// the pgoutput messages inside them. See the PostgreSQL documentation,
// "Streaming Replication Protocol" and "Logical Replication Message Formats".
namespace accord::connectors::cdc {

// Input that does not follow the protocol: truncated, or of an unknown kind.
class ProtocolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "16/B374D848" <-> 0x16B374D848.
std::string FormatLsn(uint64_t lsn);
std::optional<uint64_t> ParseLsn(std::string_view text);

struct XLogData {
  uint64_t wal_start = 0;
  uint64_t wal_end = 0;
  std::string_view data;  // one pgoutput message, a view into the decoded frame
};
struct Keepalive {
  uint64_t wal_end = 0;
  bool reply_requested = false;
};
std::variant<XLogData, Keepalive> DecodeCopyData(std::string_view frame);

// The standby status update telling the server everything up to `lsn` is
// processed: written, flushed and applied.
std::string EncodeStatusUpdate(uint64_t lsn, int64_t now_unix_us);

struct Begin {
  uint64_t final_lsn = 0;
  int64_t commit_time_unix_us = 0;
  uint32_t xid = 0;
};
struct Commit {
  uint64_t commit_lsn = 0;
  uint64_t end_lsn = 0;
  int64_t commit_time_unix_us = 0;
};
struct Relation {
  uint32_t id = 0;
  std::string schema;
  std::string table;
  std::vector<std::string> columns;
};
// One column of a row: SQL NULL, a TOASTed value the change left untouched
// (not sent), or its text.
struct Value {
  enum class Kind { kNull, kUnchanged, kText } kind = Kind::kNull;
  std::string text;
};
using Tuple = std::vector<Value>;
struct RowChange {
  enum class Op { kInsert, kUpdate, kDelete } op = Op::kInsert;
  uint32_t relation = 0;
  // Update: the new row. Insert: the row. Delete: the key (or whole old row
  // with REPLICA IDENTITY FULL).
  Tuple row;
};
// Messages Accord has no use for (origin, type, truncate, logical messages).
struct Ignored {
  char kind = 0;
};
using PgOutputMessage = std::variant<Begin, Commit, Relation, RowChange, Ignored>;
PgOutputMessage DecodePgOutput(std::string_view data);

}  // namespace accord::connectors::cdc
