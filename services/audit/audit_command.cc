#include "services/audit/audit_command.h"

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "core/store/store.h"
#include "services/audit/state_diff.h"

namespace accord::audit {
namespace {

struct DiffOptions {
  std::vector<std::string> dbs;
  std::string format = "table";
  size_t limit = 0;
};

void PrintTable(const std::vector<Difference>& differences, size_t shown) {
  size_t widths[3] = {7, 5, 1};
  for (size_t i = 0; i < shown; ++i) {
    widths[0] = std::max(widths[0], differences[i].subject.size());
    widths[1] = std::max(widths[1], differences[i].field.size());
    widths[2] = std::max(widths[2], differences[i].a.size());
  }
  auto row = [&](const std::string& subject, const std::string& field, const std::string& a,
                 const std::string& b) {
    std::cout << subject << std::string(widths[0] - subject.size() + 2, ' ') << field
              << std::string(widths[1] - field.size() + 2, ' ') << a
              << std::string(widths[2] - a.size() + 2, ' ') << b << "\n";
  };
  row("subject", "field", "A", "B");
  for (size_t i = 0; i < shown; ++i)
    row(differences[i].subject, differences[i].field, differences[i].a, differences[i].b);
}

}  // namespace

void RegisterAuditCommands(CLI::App& app) {
  auto options = std::make_shared<DiffOptions>();
  auto* diff =
      app.add_subcommand("diff", "List the logical differences between two state directories");
  diff->footer(
      "Compares the customers (every field with its value and source, lifecycle stage, aliases, "
      "events applied), the deals (customer, stage, amount) and the funnel of two states, "
      "whatever their shards: to check a replay against the live state, or two versions of the "
      "code against each other. Prints one line per difference, A's value, then B's (\"(none)\" "
      "where a side lacks it). Exit status 0 when the states are equal, 1 when they differ, 2 "
      "when a state cannot be read.");
  diff->add_option("--db", options->dbs, "The two state directories, A then B")
      ->required()
      ->expected(2);
  diff->add_option("--format", options->format, "table or json (one object per line)")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  diff->add_option("--limit", options->limit, "Print at most this many differences (0: all)");
  diff->callback([options] {
    std::unique_ptr<store::Store> a, b;
    try {
      a = store::Store::Open(options->dbs[0], store::Store::Mode::kReadOnly);
      b = store::Store::Open(options->dbs[1], store::Store::Mode::kReadOnly);
    } catch (const std::exception& e) {
      // As diff(1): 1 means the states differ, 2 that they could not be read.
      std::cerr << "accord: error: " << e.what() << "\n";
      throw cli::ExitCode{2};
    }
    const auto differences = DiffStates(query::StateQuery(*a), query::StateQuery(*b));
    const size_t shown =
        options->limit == 0 ? differences.size() : std::min(options->limit, differences.size());
    if (options->format == "json") {
      for (size_t i = 0; i < shown; ++i)
        std::cout << nlohmann::json{{"subject", differences[i].subject},
                                    {"field", differences[i].field},
                                    {"a", differences[i].a},
                                    {"b", differences[i].b}}
                         .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                  << "\n";
    } else if (differences.empty()) {
      std::cout << "no differences\n";
    } else {
      PrintTable(differences, shown);
      if (shown < differences.size())
        std::cout << "... and " << differences.size() - shown << " more\n";
    }
    if (!differences.empty()) {
      std::cerr << differences.size() << " difference(s) between " << options->dbs[0] << " and "
                << options->dbs[1] << "\n";
      throw cli::ExitCode{1};
    }
  });
}

}  // namespace accord::audit
