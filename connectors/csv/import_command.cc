#include "connectors/csv/import_command.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>

#include "connectors/csv/row_mapping.h"
#include "core/events/envelope.h"
#include "core/kafka/client.h"

namespace accord::connectors::csv {
namespace {

struct ImportOptions {
  std::string file;
  std::string kind = "contacts";
  std::string reject_file;
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

// Rejected rows with line, column and reason, written only when there are any.
class RejectFile {
 public:
  explicit RejectFile(std::string path) : path_(std::move(path)) {}
  void Add(const Record& row, const Rejection& rejection) {
    if (!out_) {
      out_ = std::make_unique<std::ofstream>(path_, std::ios::trunc);
      if (!*out_) throw std::runtime_error("cannot write reject file " + path_);
      *out_ << "line,column,reason,record\n";
    }
    std::string record;
    for (size_t i = 0; i < row.fields.size(); ++i)
      record += (i ? "," : "") + CsvEscape(row.fields[i]);
    *out_ << row.line << ',' << CsvEscape(rejection.column) << ',' << CsvEscape(rejection.reason)
          << ',' << CsvEscape(record) << '\n';
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::unique_ptr<std::ofstream> out_;
};

int RunImport(const ImportOptions& options, cli::Context& context) {
  Kind kind = options.kind == "campaigns" ? Kind::kCampaigns
              : options.kind == "deals"   ? Kind::kDeals
                                          : Kind::kContacts;
  std::ifstream in(options.file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + options.file);
  Reader reader(in);
  Record header;
  std::string error;
  if (!reader.Next(header, error) || !error.empty())
    throw std::runtime_error(options.file + ": no readable header row" +
                             (error.empty() ? "" : " (" + error + ")"));
  RowMapper mapper = [&] {
    try {
      return RowMapper(kind, header.fields);
    } catch (const LayoutError& e) {
      throw std::runtime_error(options.file + ": " + e.what());
    }
  }();

  const auto& config = context.Config();
  events::Topics topics(config.kafka.topic_prefix);
  std::unique_ptr<kafka::Publisher> publisher;
  if (!options.dry_run) publisher = std::make_unique<kafka::Publisher>(config.kafka);
  const std::string& topic = kind == Kind::kCampaigns ? topics.campaigns : topics.events;
  RejectFile rejects(options.reject_file.empty() ? options.file + ".rejects.csv"
                                                 : options.reject_file);

  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  uint64_t read = 0, accepted = 0, rejected = 0;
  Record row;
  while (reader.Next(row, error)) {
    ++read;
    Rejection rejection;
    std::optional<v1::Event> event;
    if (!error.empty())
      rejection = {"", error};
    else
      event = mapper.Map(row, now_ms, rejection);
    if (!event) {
      ++rejected;
      rejects.Add(row, rejection);
      spdlog::warn("{}:{}: rejected{}: {}", options.file, row.line,
                   rejection.column.empty() ? "" : " (" + rejection.column + ")", rejection.reason);
      continue;
    }
    ++accepted;
    if (publisher)
      publisher->Publish(topic, events::MessageKey(*event), event->SerializeAsString());
  }

  uint64_t failed = 0;
  if (publisher) {
    auto result = publisher->Flush();
    failed = result.failed;
    if (failed)
      spdlog::error("{} events were not acknowledged by Kafka: {}", failed, result.first_error);
  }
  std::cout << (options.dry_run ? "dry run: " : "") << options.file << ": read " << read
            << " rows, " << (options.dry_run ? "would publish " : "published ") << accepted - failed
            << " events to " << topic << ", rejected " << rejected;
  if (failed) std::cout << ", failed " << failed;
  if (rejected) std::cout << " (see " << rejects.path() << ")";
  std::cout << "\n";
  if (failed) return 1;
  return read > 0 && accepted == 0 ? 1 : 0;
}

}  // namespace

void RegisterImportCommand(CLI::App& app, cli::Context& context) {
  auto* import = app.add_subcommand("import", "Publish records from files as events");
  import->require_subcommand(1);
  auto options = std::make_shared<ImportOptions>();
  auto* csv = import->add_subcommand("csv", "Publish the rows of a CSV file as events");
  csv->footer(
      "The file is UTF-8 with a header row, comma-separated, RFC 4180 quoting; docs/import.md "
      "lists the columns of each --kind. Event ids derive from source system, record id and "
      "version: importing a file again publishes the same ids, which the projection "
      "recognises and skips. Bad rows go to the reject file with line, column and reason and "
      "the import goes on. Exit status 1 when rows were read but none could be imported, or "
      "when Kafka did not acknowledge every event.");
  csv->add_option("file", options->file, "CSV file to import")
      ->required()
      ->check(CLI::ExistingFile);
  csv->add_option("--kind", options->kind,
                  "Row layout: contacts, campaigns or deals (docs/import.md)")
      ->check(CLI::IsMember({"contacts", "campaigns", "deals"}))
      ->capture_default_str();
  csv->add_option("--reject-file", options->reject_file,
                  "Where rejected rows go (default: <file>.rejects.csv)");
  csv->add_flag("--dry-run", options->dry_run,
                "Read and check every row and report what would be published; publish nothing");
  csv->callback([options, &context] {
    int code = RunImport(*options, context);
    if (code != 0) throw cli::ExitCode{code};
  });
}

}  // namespace accord::connectors::csv
