#include "connectors/cdc/replication.h"

#include <libpq-fe.h>
#include <sys/select.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "connectors/cdc/pgoutput.h"

namespace accord::connectors::cdc {
namespace {

using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

pg_conn* Connect(const std::string& dsn, bool replication) {
  // Keywords given after the dsn win over the dsn's own.
  std::vector<const char*> keys = {"dbname"}, values = {dsn.c_str()};
  if (replication) {
    keys.push_back("replication");
    values.push_back("database");
  }
  keys.push_back("application_name");
  values.push_back("accord-cdc");
  keys.push_back(nullptr);
  values.push_back(nullptr);
  pg_conn* conn = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn);
    PQfinish(conn);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    throw PostgresError("cannot connect to PostgreSQL: " + message);
  }
  return conn;
}

std::string Error(pg_conn* conn) {
  std::string message = PQerrorMessage(conn);
  while (!message.empty() && message.back() == '\n') message.pop_back();
  return message;
}

Result Query(pg_conn* conn, const std::string& sql, const std::vector<std::string>& params = {}) {
  std::vector<const char*> values;
  for (const auto& param : params) values.push_back(param.c_str());
  Result result(PQexecParams(conn, sql.c_str(), static_cast<int>(values.size()), nullptr,
                             values.data(), nullptr, nullptr, 0),
                &PQclear);
  auto status = PQresultStatus(result.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) throw PostgresError(Error(conn));
  return result;
}

std::string Identifier(pg_conn* conn, const std::string& name) {
  char* quoted = PQescapeIdentifier(conn, name.c_str(), name.size());
  if (!quoted) throw PostgresError(Error(conn));
  std::string out = quoted;
  PQfreemem(quoted);
  return out;
}

// "contacts" or "crm.contacts", quoted part by part.
std::string TableName(pg_conn* conn, const std::string& table) {
  auto dot = table.find('.');
  if (dot == std::string::npos) return Identifier(conn, table);
  return Identifier(conn, table.substr(0, dot)) + "." + Identifier(conn, table.substr(dot + 1));
}

std::pair<std::string, std::string> SchemaAndTable(const std::string& table) {
  auto dot = table.find('.');
  if (dot == std::string::npos) return {"public", table};
  return {table.substr(0, dot), table.substr(dot + 1)};
}

}  // namespace

ReplicationConnection::ReplicationConnection(const std::string& dsn) : dsn_(dsn) {
  sql_ = Connect(dsn, false);
}

ReplicationConnection::~ReplicationConnection() {
  if (stream_) PQfinish(stream_);
  if (sql_) PQfinish(sql_);
}

void ReplicationConnection::Prepare(const std::string& slot, const std::string& publication,
                                    const std::vector<std::string>& tables) {
  if (PQntuples(
          Query(sql_, "SELECT 1 FROM pg_publication WHERE pubname = $1", {publication}).get()) ==
      0) {
    std::string list;
    for (const auto& table : tables) list += (list.empty() ? "" : ", ") + TableName(sql_, table);
    Query(sql_, "CREATE PUBLICATION " + Identifier(sql_, publication) + " FOR TABLE " + list);
  }
  for (const auto& table : tables) {
    auto [schema, name] = SchemaAndTable(table);
    if (PQntuples(Query(sql_,
                        "SELECT 1 FROM pg_publication_tables WHERE pubname = $1 AND "
                        "schemaname = $2 AND tablename = $3",
                        {publication, schema, name})
                      .get()) == 0)
      throw PostgresError("publication " + publication + " does not include table " + table +
                          " (ALTER PUBLICATION " + publication + " ADD TABLE " + table + ")");
  }
  if (PQntuples(
          Query(sql_, "SELECT 1 FROM pg_replication_slots WHERE slot_name = $1", {slot}).get()) ==
      0)
    Query(sql_, "SELECT pg_create_logical_replication_slot($1, 'pgoutput')", {slot});
}

void ReplicationConnection::Start(const std::string& slot, const std::string& publication) {
  stream_ = Connect(dsn_, true);
  // 0/0: the server starts at the slot's confirmed position.
  const std::string command =
      "START_REPLICATION SLOT " + Identifier(stream_, slot) +
      " LOGICAL 0/0 (proto_version '1', publication_names " +
      [&] {
        char* literal = PQescapeLiteral(stream_, publication.c_str(), publication.size());
        std::string out = literal ? literal : "''";
        PQfreemem(literal);
        return out;
      }() +
      ")";
  Result result(PQexec(stream_, command.c_str()), &PQclear);
  if (PQresultStatus(result.get()) != PGRES_COPY_BOTH)
    throw PostgresError("cannot start replication from slot " + slot + ": " + Error(stream_));
}

std::optional<std::string> ReplicationConnection::Next(std::chrono::milliseconds timeout) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    char* buffer = nullptr;
    int size = PQgetCopyData(stream_, &buffer, /*async=*/1);
    if (size > 0) {
      std::string frame(buffer, static_cast<size_t>(size));
      PQfreemem(buffer);
      return frame;
    }
    if (size == -1) {
      Result result(PQgetResult(stream_), &PQclear);
      throw PostgresError("the server ended replication: " + Error(stream_));
    }
    if (size == -2) throw PostgresError("replication failed: " + Error(stream_));
    if (attempt == 1) break;
    // Nothing buffered: wait for the socket, then read what arrived.
    int socket = PQsocket(stream_);
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(socket, &readable);
    timeval wait{static_cast<time_t>(timeout.count() / 1000),
                 static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
    if (select(socket + 1, &readable, nullptr, nullptr, &wait) < 0) {
      // A signal (the stop request) ends the wait; the caller decides.
      if (errno == EINTR) return std::nullopt;
      throw PostgresError(std::string("waiting for the replication stream failed: ") +
                          std::strerror(errno));
    }
    if (!PQconsumeInput(stream_)) throw PostgresError("replication failed: " + Error(stream_));
  }
  return std::nullopt;
}

void ReplicationConnection::Confirm(uint64_t lsn) {
  const int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const std::string update = EncodeStatusUpdate(lsn, now_us);
  if (PQputCopyData(stream_, update.data(), static_cast<int>(update.size())) != 1 ||
      PQflush(stream_) != 0)
    throw PostgresError("cannot confirm position " + FormatLsn(lsn) + ": " + Error(stream_));
}

}  // namespace accord::connectors::cdc
