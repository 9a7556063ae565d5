#include "connectors/import/import_command.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <unordered_map>

#include "app/cli/progress.h"
#include "connectors/import/records.h"
#include "connectors/mapping/builtin_mappings.h"
#include "connectors/publish/event_sink.h"
#include "domain/events/envelope.h"
#include "io/kafka/client.h"

namespace accord::connectors::file_import {
namespace {

enum class Format { kCsv, kJsonl };

struct ImportOptions {
  std::string file;
  std::string mapping;
  std::string kind;
  std::string delimiter;
  std::string encoding;
  std::string reject_file;
  std::string ledger;
  bool no_ledger = false;
  bool dry_run = false;
};

std::string CsvEscape(const std::string& value) {
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// Rejected records with line, column and reason, written only when there are any.
class RejectFile {
 public:
  explicit RejectFile(std::string path) : path_(std::move(path)) {}
  void Add(size_t line, const std::vector<std::string>& record, const std::string& column,
           const std::string& reason) {
    if (!out_) {
      out_ = std::make_unique<std::ofstream>(path_, std::ios::trunc);
      if (!*out_) throw std::runtime_error("cannot write reject file " + path_);
      *out_ << "line,column,reason,record\n";
    }
    std::string raw;
    for (size_t i = 0; i < record.size(); ++i) raw += (i ? "," : "") + CsvEscape(record[i]);
    *out_ << line << ',' << CsvEscape(column) << ',' << CsvEscape(reason) << ',' << CsvEscape(raw)
          << '\n';
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::unique_ptr<std::ofstream> out_;
};

// The column of the record's longest value: what makes an event too large
// for Kafka.
std::string LongestColumn(const Mapping& mapping, const SourceRecord& record) {
  size_t longest = 0;
  std::string column;
  for (size_t i = 0; i < record.values.size(); ++i)
    if (record.values[i] && record.values[i]->size() > longest) {
      longest = record.values[i]->size();
      column = mapping.columns()[i];
    }
  return column;
}

int64_t ModifiedAtMs(const std::string& path) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) throw std::runtime_error("cannot stat " + path);
  return static_cast<int64_t>(info.st_mtim.tv_sec) * 1000 + info.st_mtim.tv_nsec / 1000000;
}

int RunImport(Format format, const ImportOptions& options, cli::Context& context) {
  const std::string mapping_name = !options.mapping.empty() ? options.mapping
                                   : !options.kind.empty()  ? "accord-" + options.kind
                                                            : "accord-contacts";
  const Mapping mapping = LoadMapping(mapping_name);
  ReadOptions read{mapping.read().delimiter, mapping.read().encoding};
  if (!options.delimiter.empty())
    read.delimiter = options.delimiter == "\\t" ? '\t' : options.delimiter[0];
  if (!options.encoding.empty()) read.encoding = *ParseEncoding(options.encoding);

  std::ifstream in(options.file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + options.file);
  std::unique_ptr<RecordSource> records =
      format == Format::kCsv ? CsvRecords(in, mapping, read) : JsonlRecords(in, mapping);

  const auto& config = context.Config();
  std::unique_ptr<EventSink> sink;
  if (!options.dry_run)
    sink = std::make_unique<EventSink>(
        config.kafka, "import",
        options.no_ledger ? std::nullopt : std::optional<std::string>(options.ledger));
  events::Topics topics(config.kafka.topic_prefix);
  const std::string& topic = topics.Of(mapping.topic());
  RejectFile rejects(options.reject_file.empty() ? options.file + ".rejects.csv"
                                                 : options.reject_file);
  const int64_t file_time_ms = ModifiedAtMs(options.file);
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  cli::Progress progress("importing " + std::filesystem::path(options.file).filename().string(),
                         std::filesystem::file_size(options.file));

  // Kafka refuses larger messages on every try: such a record is checked
  // like any other, in a dry run too.
  const size_t max_message_bytes = kafka::MessageMaxBytes(config.kafka);
  uint64_t read_count = 0, mapped = 0, rejected = 0, own_writes = 0;
  auto reject = [&](size_t line, const std::vector<std::string>& raw, const std::string& column,
                    const std::string& reason) {
    ++rejected;
    rejects.Add(line, raw, column, reason);
    spdlog::warn("{}:{}: rejected{}: {}", options.file, line,
                 column.empty() ? "" : " (" + column + ")", reason);
  };
  // The records of the events published since the last flush, by event id,
  // so that an event Kafka refuses can still be rejected with its record.
  std::unordered_map<std::string, std::pair<size_t, std::vector<std::string>>> unflushed;
  EventSink::Counts counts;
  auto flush = [&] {
    counts = sink->Flush();
    for (const auto& refused : sink->refused()) {
      const auto& [line, raw] = unflushed.at(refused.event_id);
      --mapped;
      reject(line, raw, "", refused.reason);
    }
    unflushed.clear();
  };
  SourceRecord record;
  while (records->Next(record)) {
    ++read_count;
    progress.Update(records->bytes_read(), read_count);
    std::string column = record.error_column, reason = record.error;
    std::optional<v1::Event> event;
    if (reason.empty()) {
      auto result = mapping.Map(record.values, file_time_ms, now_ms);
      if (result.own_write) {
        ++own_writes;
        if (sink) sink->SkipOwnWrite();
        continue;
      }
      event = std::move(result.event);
      column = result.column;
      reason = result.reason;
    }
    if (event) {
      reason = TooLargeForKafka(*event, max_message_bytes);
      if (!reason.empty()) {
        event.reset();
        column = LongestColumn(mapping, record);
      }
    }
    if (!event) {
      reject(record.line, record.raw, column, reason);
      continue;
    }
    ++mapped;
    if (sink && sink->Publish(*event) == EventSink::Outcome::kQueued) {
      unflushed.emplace(event->event_id(), std::make_pair(record.line, record.raw));
      if (sink->unconfirmed() >= EventSink::kFlushEvery) flush();
    }
  }
  progress.Done();

  if (sink) {
    flush();
    if (counts.failed)
      spdlog::error("{} events were not acknowledged by Kafka: {}", counts.failed,
                    counts.first_error);
  }
  std::cout << (options.dry_run ? "dry run: " : "") << options.file << ": read " << read_count
            << " rows, ";
  if (options.dry_run)
    std::cout << "would publish " << mapped << " events to " << topic;
  else
    std::cout << "published " << counts.published << " events to " << topic
              << ", duplicates skipped " << counts.duplicates;
  if (own_writes) std::cout << ", Accord's own write-backs skipped " << own_writes;
  std::cout << ", rejected " << rejected;
  if (counts.failed) std::cout << ", failed " << counts.failed;
  if (rejected) std::cout << " (see " << rejects.path() << ")";
  std::cout << "\n";
  if (counts.failed) return 1;
  return read_count > 0 && mapped == 0 && own_writes == 0 ? 1 : 0;
}

void AddCommonOptions(CLI::App& command, ImportOptions& options) {
  command.add_option("--mapping", options.mapping,
                     "Mapping file (YAML), or the name of a built-in mapping "
                     "(`accord import mappings` lists them; docs/mappings.md)");
  command.add_option("--reject-file", options.reject_file,
                     "Where rejected records go (default: <file>.rejects.csv)");
  command
      .add_option("--ledger", options.ledger,
                  "Directory of the ids already published, so that importing again publishes "
                  "nothing new (default: var/import-ledger/<topic prefix>@<Kafka cluster id>)")
      ->envname("ACCORD_IMPORT_LEDGER");
  command.add_flag("--no-ledger", options.no_ledger,
                   "Publish every record, even ones published before (the projection still drops "
                   "events it has applied)");
  command.add_flag("--dry-run", options.dry_run,
                   "Read and check every record and report what would be published; publish "
                   "nothing");
}

}  // namespace

void RegisterImportCommand(CLI::App& app, cli::Context& context) {
  auto* import = app.add_subcommand("import", "Publish records from files as events");
  import->require_subcommand(1);
  auto options = std::make_shared<ImportOptions>();

  auto* csv = import->add_subcommand("csv", "Publish the rows of a CSV file as events");
  csv->footer(
      "A mapping (docs/mappings.md) says which columns become which event fields, and how the "
      "file is written (delimiter, encoding, decimal separator, date format); without one the "
      "file is in Accord's own contacts layout (docs/import.md). Quoted fields may hold "
      "delimiters and line breaks; a UTF-8 byte-order mark is skipped. Event ids derive from "
      "source system, record id and version (or the row's content): importing a file again "
      "publishes nothing new. Bad rows go to the reject file with line, column and reason and the "
      "import goes on. Exit status 1 when rows were read but none could be imported, or when "
      "Kafka did not acknowledge every event.");
  csv->add_option("file", options->file, "CSV file to import")
      ->required()
      ->check(CLI::ExistingFile);
  AddCommonOptions(*csv, *options);
  csv->add_option("--kind", options->kind,
                  "Accord's own layouts (docs/import.md): contacts, campaigns, deals, "
                  "engagement, orders or lead-decisions (the built-in mappings accord-<kind>)")
      ->check(CLI::IsMember(
          {"contacts", "campaigns", "deals", "engagement", "orders", "lead-decisions"}))
      ->excludes("--mapping");
  csv->add_option("--delimiter", options->delimiter,
                  "Column delimiter, overriding the mapping's: \",\", \";\", \"\\t\", ...")
      ->check([](const std::string& value) {
        return value.size() == 1 || value == "\\t" ? std::string()
                                                   : std::string("one character, or \\t");
      });
  csv->add_option("--encoding", options->encoding,
                  "Text encoding, overriding the mapping's: utf-8, latin1, windows-1252")
      ->check([](const std::string& value) {
        return ParseEncoding(value) ? std::string() : "utf-8, latin1 or windows-1252";
      });
  csv->callback([options, &context] {
    int code = RunImport(Format::kCsv, *options, context);
    if (code != 0) throw cli::ExitCode{code};
  });

  auto* jsonl =
      import->add_subcommand("jsonl", "Publish the objects of a JSON Lines file as events");
  jsonl->footer(
      "One JSON object per line, UTF-8. The mapping's columns are dotted paths into each object "
      "(\"properties.email\", \"emails.0\"); strings, numbers and booleans are read as text, "
      "null and missing paths as empty. Lines that are not JSON objects go to the reject file. "
      "Otherwise as `accord import csv`.");
  jsonl->add_option("file", options->file, "JSON Lines file to import")
      ->required()
      ->check(CLI::ExistingFile);
  AddCommonOptions(*jsonl, *options);
  jsonl->get_option("--mapping")->required();
  jsonl->callback([options, &context] {
    int code = RunImport(Format::kJsonl, *options, context);
    if (code != 0) throw cli::ExitCode{code};
  });

  auto* list = import->add_subcommand("mappings", "List the built-in mappings");
  list->callback([] {
    for (const auto& [name, text] : BuiltinMappingTexts()) {
      auto mapping = Mapping::Parse(text, name);
      std::cout << name << "\n    " << mapping.description() << "\n";
    }
  });
}

}  // namespace accord::connectors::file_import
