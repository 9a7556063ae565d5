#include "connectors/cdc/cdc_command.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <map>
#include <memory>

#include "connectors/cdc/change_stream.h"
#include "connectors/cdc/replication.h"
#include "connectors/mapping/builtin_mappings.h"
#include "connectors/publish/event_sink.h"
#include "io/http/server.h"
#include "io/kafka/client.h"
#include "io/metrics/metrics.h"

namespace accord::connectors::cdc {
namespace {

struct CdcOptions {
  std::string dsn;
  std::string slot = "accord";
  std::string publication = "accord";
  std::vector<std::string> tables;
  std::vector<std::string> delete_tables;
  std::string ledger;
  std::string http_listen = "127.0.0.1:8092";
};

// "contacts=postgres-contacts" -> {"public.contacts", mapping}.
std::pair<std::string, std::string> TableAndMapping(const std::string& text) {
  auto equals = text.find('=');
  if (equals == std::string::npos || equals == 0 || equals + 1 == text.size())
    throw std::runtime_error("expected TABLE=MAPPING, got \"" + text + "\"");
  std::string table = text.substr(0, equals);
  if (table.find('.') == std::string::npos) table = "public." + table;
  return {table, text.substr(equals + 1)};
}

// A table's mapping, with the positions of its columns among a change's.
class TableMapping {
 public:
  explicit TableMapping(Mapping mapping) : mapping_(std::move(mapping)) {}

  Mapping::Result Map(const ChangeRecord& change, int64_t now_ms) {
    std::vector<std::string> header;
    for (const auto& [name, value] : change.columns) header.push_back(name);
    // Deletes carry the key columns only, and tables change: bind per shape.
    auto& positions = bound_[header];
    if (positions.empty()) positions = mapping_.BindHeader(header);
    std::vector<std::optional<std::string>> values;
    for (size_t position : positions)
      values.push_back(position == Mapping::kAbsent ? std::nullopt
                                                    : change.columns.at(header[position]));
    return mapping_.Map(values, /*default_occurred_at_ms=*/0, now_ms);
  }

 private:
  Mapping mapping_;
  std::map<std::vector<std::string>, std::vector<size_t>> bound_;
};

int RunCdc(const CdcOptions& options, cli::Context& context) {
  std::map<std::string, std::unique_ptr<TableMapping>> upserts, deletes;
  std::vector<std::string> tables;
  for (const auto& text : options.tables) {
    auto [table, mapping] = TableAndMapping(text);
    upserts[table] = std::make_unique<TableMapping>(LoadMapping(mapping));
    tables.push_back(table);
  }
  for (const auto& text : options.delete_tables) {
    auto [table, mapping] = TableAndMapping(text);
    if (!upserts.count(table))
      throw std::runtime_error("--delete-mapping for " + table + ", which no --table names");
    deletes[table] = std::make_unique<TableMapping>(LoadMapping(mapping));
  }

  const auto& config = context.Config();
  ReplicationConnection connection(options.dsn);
  connection.Prepare(options.slot, options.publication, tables);
  metrics::Registry registry;
  EventSink sink(config.kafka, "cdc-" + options.slot, options.ledger, &registry);
  http::HealthServer serving("cdc", "CDC health and metrics", config.http, registry);
  serving.Start(options.http_listen);
  auto& confirmed_position = registry.GetGauge(
      "accord_cdc_confirmed_lsn", "WAL position confirmed to PostgreSQL (all before it in Kafka)");
  auto change_counter = [&](const char* outcome) -> metrics::Counter& {
    return registry.GetCounter("accord_cdc_changes_total", "Row changes read, by outcome",
                               {{"outcome", outcome}});
  };
  auto& mapped_changes = change_counter("mapped");
  auto& rejected_changes = change_counter("rejected");
  const size_t max_message_bytes = kafka::MessageMaxBytes(config.kafka);
  auto& unmapped_changes = change_counter("without_mapping");
  connection.Start(options.slot, options.publication);
  spdlog::info("streaming changes of {} from slot {}", options.publication, options.slot);

  const auto& stop_requested = cli::StopOnSignals();
  ChangeStream stream;
  uint64_t committed = 0;  // end of the last transaction handed to the sink
  uint64_t confirmed = 0;
  uint64_t changes = 0, rejected = 0, without_mapping = 0;
  auto last_confirm = std::chrono::steady_clock::now();
  auto last_report = last_confirm;
  // The position is confirmed only once Kafka holds every event before it:
  // a restart then resumes after it and loses nothing.
  auto confirm = [&] {
    const auto& counts = sink.Flush();
    if (counts.failed > 0)
      throw kafka::KafkaError("Kafka did not acknowledge " + std::to_string(counts.failed) +
                              " events: " + counts.first_error);
    for (const auto& refused : sink.refused()) {
      ++rejected;
      rejected_changes.Add();
      spdlog::warn("event {} not published: {}", refused.event_id, refused.reason);
    }
    if (committed > confirmed) {
      connection.Confirm(committed);
      confirmed = committed;
      confirmed_position.Set(static_cast<double>(confirmed));
    }
    last_confirm = std::chrono::steady_clock::now();
  };
  const int64_t started_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();

  while (!stop_requested.load()) {
    auto frame = connection.Next(std::chrono::milliseconds(500));
    if (frame) {
      auto decoded = DecodeCopyData(*frame);
      if (auto* keepalive = std::get_if<Keepalive>(&decoded)) {
        // Never the keepalive's end of WAL: transactions before it may not
        // have been decoded and sent yet, and a restart would skip them.
        if (keepalive->reply_requested) confirm();
        continue;
      }
      auto transaction = stream.Add(std::get<XLogData>(decoded));
      if (!transaction) continue;
      for (const auto& change : transaction->changes) {
        ++changes;
        auto& mappings = change.op == RowChange::Op::kDelete ? deletes : upserts;
        auto mapping = mappings.find(change.table);
        if (mapping == mappings.end()) {
          ++without_mapping;
          unmapped_changes.Add();
          continue;
        }
        auto result = mapping->second->Map(change, started_ms);
        if (result.own_write) {
          sink.SkipOwnWrite();
          continue;
        }
        if (result.event) {
          result.reason = TooLargeForKafka(*result.event, max_message_bytes);
          if (!result.reason.empty()) result.event.reset();
        }
        if (!result.event) {
          ++rejected;
          rejected_changes.Add();
          spdlog::warn("{} change at {} not published{}: {}", change.table, FormatLsn(change.lsn),
                       result.column.empty() ? "" : " (" + result.column + ")", result.reason);
          continue;
        }
        mapped_changes.Add();
        sink.Publish(*result.event);
      }
      committed = transaction->end_lsn;
    }
    const auto now = std::chrono::steady_clock::now();
    if (sink.unconfirmed() >= EventSink::kFlushEvery ||
        (committed > confirmed && now - last_confirm >= std::chrono::seconds(1)))
      confirm();
    if (now - last_report >= std::chrono::seconds(10)) {
      const auto& counts = sink.counts();
      spdlog::info(
          "cdc: {} changes, {} events published, {} duplicates, {} own write-backs, {} rejected, "
          "confirmed {}",
          changes, counts.published, counts.duplicates, counts.own_writes, rejected,
          FormatLsn(confirmed));
      last_report = now;
    }
  }
  confirm();
  const auto& counts = sink.counts();
  spdlog::info("stopped at {}: {} changes, {} events published, {} rejected, {} without a mapping",
               FormatLsn(confirmed), changes, counts.published, rejected, without_mapping);
  return 0;
}

}  // namespace

void RegisterCdcCommand(CLI::App& app, cli::Context& context) {
  auto* cdc = app.add_subcommand("cdc", "Stream changes of a database as events");
  cdc->require_subcommand(1);
  auto options = std::make_shared<CdcOptions>();
  auto* postgres = cdc->add_subcommand(
      "postgres", "Stream a PostgreSQL database's row changes through logical replication");
  postgres->footer(
      "Needs wal_level=logical and a role with REPLICATION. Creates the publication (for the "
      "--table tables) and the replication slot when they do not exist, then streams every "
      "committed insert, update and delete of those tables with the pgoutput plugin, in commit "
      "order, through the table's mapping (docs/mappings.md; columns are the table's, plus _op, "
      "_lsn, _commit_time and _table). The position is confirmed to PostgreSQL only after Kafka "
      "acknowledged every event before it, so a restart neither loses nor repeats a change. "
      "Runs until SIGTERM or SIGINT. See docs/cdc.md.");
  postgres
      ->add_option("--dsn", options->dsn,
                   "libpq connection string or URI (passwords from PGPASSWORD or ~/.pgpass)")
      ->envname("ACCORD_CDC_POSTGRES_DSN")
      ->required();
  postgres->add_option("--slot", options->slot, "Replication slot")->capture_default_str();
  postgres->add_option("--publication", options->publication, "Publication")->capture_default_str();
  postgres
      ->add_option("--table", options->tables,
                   "TABLE=MAPPING: a table to stream and the mapping of its inserts and updates "
                   "(repeatable)")
      ->required();
  postgres->add_option("--delete-mapping", options->delete_tables,
                       "TABLE=MAPPING: the mapping of a table's deletes (repeatable; without one "
                       "deletes are skipped). Deletes carry the key columns only, unless the "
                       "table has REPLICA IDENTITY FULL");
  postgres
      ->add_option("--ledger", options->ledger,
                   "Directory of the ids already published (default: var/cdc-<slot>-ledger/<topic "
                   "prefix>@<Kafka cluster id>)")
      ->envname("ACCORD_CDC_LEDGER");
  postgres
      ->add_option("--http-listen", options->http_listen,
                   "Where /healthz and /metrics (Prometheus) are served, host:port; \"\" "
                   "for nowhere")
      ->capture_default_str();
  postgres->callback([options, &context] {
    int code = RunCdc(*options, context);
    if (code != 0) throw cli::ExitCode{code};
  });
}

}  // namespace accord::connectors::cdc
