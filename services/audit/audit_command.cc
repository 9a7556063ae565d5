#include "services/audit/audit_command.h"

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "domain/events/identity.h"
#include "domain/util/time.h"
#include "io/store/store.h"
#include "services/audit/audit_timeline.h"
#include "services/audit/state_diff.h"

namespace accord::audit {
namespace {

struct DiffOptions {
  std::vector<std::string> dbs;
  std::string format = "table";
  size_t limit = 0;
};

void PrintTable(const std::vector<Difference>& differences, size_t shown) {
  std::vector<std::vector<std::string>> rows = {{"subject", "field", "A", "B"}};
  for (size_t i = 0; i < shown; ++i)
    rows.push_back(
        {differences[i].subject, differences[i].field, differences[i].a, differences[i].b});
  std::cout << TextColumns(rows);
}

struct CustomerOptions {
  std::string subject;
  std::string db;
  std::string at;
  std::string format = "table";
};

// Input that cannot be used, or a state that cannot be read: exit 2, so
// that 1 means only "no such customer".
[[noreturn]] void Unusable(const std::string& message) {
  std::cerr << "accord: error: " << message << "\n";
  throw cli::ExitCode{2};
}

void AuditCustomerCommand(const CustomerOptions& options) {
  std::optional<int64_t> at_ms;
  if (!options.at.empty()) {
    at_ms = ParseIsoTimestampMs(options.at);
    if (!at_ms)
      Unusable("--at '" + options.at +
               "' is not an RFC 3339 time (e.g. 2025-03-14T09:30:00Z or "
               "2025-03-14T10:30:00+01:00)");
  }
  Subject subject;
  if (options.subject.find('@') == std::string::npos) {
    subject.customer_id = options.subject;
  } else {
    auto key = events::EmailIdentityKey(options.subject);
    if (!key)
      Unusable("not a usable e-mail address: \"" + options.subject +
               "\" (placeholder and test addresses are never matched)");
    subject.email = key->substr(std::string_view("email:").size());
  }
  std::optional<Audit> audit;
  try {
    auto store = store::Store::Open(options.db, store::Store::Mode::kReadOnly);
    audit = AuditCustomer(query::StateQuery(*store), subject, at_ms);
  } catch (const std::exception& e) {
    Unusable(e.what());
  }
  if (!audit) {
    std::cerr << "accord: no customer with "
              << (subject.email.empty() ? "id " + subject.customer_id : "e-mail " + subject.email)
              << " in " << options.db << "\n";
    throw cli::ExitCode{1};
  }
  if (options.format == "json")
    std::cout << AuditJson(*audit).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
  else
    std::cout << AuditTable(*audit, subject.email.empty() ? subject.customer_id : subject.email);
}

void RegisterAuditCustomer(CLI::App& app) {
  auto options = std::make_shared<CustomerOptions>();
  auto* audit = app.add_subcommand("audit", "Audit trails of the folded state");
  audit->require_subcommand(1);
  auto* customer = audit->add_subcommand(
      "customer",
      "Print every event that touched a customer, in order, with what the fold decided");
  customer->footer(
      "For every event, oldest first (by occurred-at): when it occurred, its kind, the source "
      "system, record and version, the customer whose timeline recorded it (the customer or one "
      "merged into it) and, below, each field it offered: the value before and after (old → new) "
      "and the conflict rule that decided, also when the existing value was kept; the customers "
      "it merged in and why; and, in the feedback service's state (feedback.store_path), the "
      "score updates, handovers, contact pauses and reactivation candidates it caused with their "
      "reasons. A merged-away customer's id, or the e-mail address of one, shows its survivor "
      "and says so. --at shows the customer as it was then, by event time: the events that "
      "occurred at or before the time, the merges made by then and the fields as those events "
      "left them. Exit status 0 when printed, 1 when there is no such customer, 2 "
      "when the time, the address or the state cannot be used (docs/audit.md).");
  customer
      ->add_option("customer", options->subject,
                   "Customer id, or e-mail address (any case, surrounding spaces ignored)")
      ->required();
  customer
      ->add_option("--db", options->db,
                   "State directory: the projection's, or the feedback service's for scores and "
                   "handovers")
      ->required();
  customer
      ->add_option("--at", options->at,
                   "Only what occurred at or before this RFC 3339 time, with the fields as they "
                   "stood then")
      ->type_name("TIME");
  customer->add_option("--format", options->format, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  customer->callback([options] { AuditCustomerCommand(*options); });
}

}  // namespace

void RegisterAuditCommands(CLI::App& app) {
  RegisterAuditCustomer(app);
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
