#include "connectors/cdc/change_stream.h"

#include "domain/util/time.h"

namespace accord::connectors::cdc {

std::optional<CommittedTransaction> ChangeStream::Add(const XLogData& data) {
  auto message = DecodePgOutput(data.data);
  if (auto* begin = std::get_if<Begin>(&message)) {
    if (open_) throw ProtocolError("a transaction begins inside another");
    open_ = *begin;
    changes_.clear();
    return std::nullopt;
  }
  if (auto* commit = std::get_if<Commit>(&message)) {
    if (!open_) throw ProtocolError("a commit without its transaction");
    open_.reset();
    CommittedTransaction committed{commit->end_lsn, std::move(changes_)};
    changes_.clear();
    return committed;
  }
  if (auto* relation = std::get_if<Relation>(&message)) {
    relations_[relation->id] = std::move(*relation);
    return std::nullopt;
  }
  if (auto* change = std::get_if<RowChange>(&message)) {
    if (!open_) throw ProtocolError("a row change outside a transaction");
    auto relation = relations_.find(change->relation);
    if (relation == relations_.end())
      throw ProtocolError("a row change of a table the stream has not described");
    const auto& columns = relation->second.columns;
    if (change->row.size() > columns.size())
      throw ProtocolError("a row with more columns than its table");
    ChangeRecord record;
    record.table = relation->second.schema + "." + relation->second.table;
    record.op = change->op;
    record.lsn = data.wal_start;
    for (size_t i = 0; i < change->row.size(); ++i) {
      const auto& value = change->row[i];
      record.columns[columns[i]] =
          value.kind == Value::Kind::kText ? std::optional<std::string>(value.text) : std::nullopt;
    }
    static constexpr const char* kOps[] = {"insert", "update", "delete"};
    record.columns["_op"] = kOps[static_cast<int>(change->op)];
    record.columns["_lsn"] = std::to_string(data.wal_start);
    record.columns["_commit_time"] = FormatIsoTimestampMs(open_->commit_time_unix_us / 1000);
    record.columns["_table"] = record.table;
    changes_.push_back(std::move(record));
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace accord::connectors::cdc
