#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

struct pg_conn;

namespace accord::connectors::cdc {

// PostgreSQL refused or dropped the connection; the message is libpq's or
// names what is missing.
class PostgresError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A logical replication connection through libpq, streaming one slot's
// changes of one publication with the pgoutput plugin.
class ReplicationConnection {
 public:
  // `dsn`: a libpq connection string or URI (passwords from PGPASSWORD or
  // ~/.pgpass, never the command line).
  explicit ReplicationConnection(const std::string& dsn);
  ~ReplicationConnection();
  ReplicationConnection(const ReplicationConnection&) = delete;
  ReplicationConnection& operator=(const ReplicationConnection&) = delete;

  // Creates the publication (for `tables`) and the slot when they do not
  // exist; refuses a publication that lacks one of the tables.
  void Prepare(const std::string& slot, const std::string& publication,
               const std::vector<std::string>& tables);
  // Streams from the slot's confirmed position: what was confirmed is never
  // sent again, what was not is.
  void Start(const std::string& slot, const std::string& publication);
  // The next CopyData frame, or nullopt when none arrived within `timeout`.
  std::optional<std::string> Next(std::chrono::milliseconds timeout);
  // Tells the server every transaction ending at or before `lsn` is safe.
  void Confirm(uint64_t lsn);

 private:
  std::string dsn_;
  pg_conn* sql_ = nullptr;
  pg_conn* stream_ = nullptr;
};

}  // namespace accord::connectors::cdc
