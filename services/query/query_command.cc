#include "services/query/query_command.h"

#include <iostream>

#include "domain/events/envelope.h"
#include "domain/events/identity.h"
#include "domain/fold/codec.h"
#include "domain/fold/fold.h"
#include "io/store/store.h"
#include "services/query/feedback_views.h"
#include "services/query/render.h"
#include "services/query/state_query.h"

namespace accord::query {
namespace {

using state::v1::CustomerState;

struct QueryOptions {
  std::string db;
  std::string email;
  std::string id;
  size_t limit = 10;
};

std::unique_ptr<store::Store> OpenStore(const std::string& db, cli::Context& context) {
  return store::Store::Open(db.empty() ? context.Config().store.path : db,
                            store::Store::Mode::kReadOnly);
}

void QueryCustomer(const QueryOptions& options, cli::Context& context) {
  auto store = OpenStore(options.db, context);
  StateQuery query(*store);
  std::optional<StateQuery::Customer> customer;
  if (!options.email.empty()) {
    auto key = events::EmailIdentityKey(options.email);
    if (!key) throw std::runtime_error("not a usable e-mail address: \"" + options.email + "\"");
    customer = query.ByIdentity(*key);
    if (!customer) {
      std::cerr << "no customer with e-mail " << options.email << "\n";
      throw cli::ExitCode{3};
    }
  } else {
    customer = query.ById(options.id);
    if (!customer) {
      std::cerr << "no customer with id " << options.id << "\n";
      throw cli::ExitCode{3};
    }
  }
  auto json = CustomerJson(customer->state);
  nlohmann::ordered_json deals = nlohmann::ordered_json::array();
  for (const auto& deal : query.DealsOf(*customer)) deals.push_back(DealJson(deal));
  json["deals"] = deals;
  std::cout << json.dump(2) << "\n";
}

void QuerySummary(const QueryOptions& options, cli::Context& context) {
  auto store = OpenStore(options.db, context);
  uint64_t customers = 0, merged_away = 0, with_several_sources = 0, events = 0, deals = 0,
           accounts = 0, campaigns = 0;
  std::map<std::string, uint64_t> by_stage;
  nlohmann::ordered_json sample = nlohmann::ordered_json::array();
  store->Scan(fold::Table::kCustomers, [&](std::string_view key, std::string_view value) {
    auto customer = fold::DecodeState<CustomerState>(value, fold::Table::kCustomers, key);
    if (!customer.merged_into().empty()) {
      ++merged_away;
      return true;
    }
    // Moved to another shard: counted there, where it has a record too.
    if (!customer.merged_into_key().empty()) return true;
    ++customers;
    ++by_stage[events::LifecycleStageName(customer.lifecycle_stage())];
    std::set<std::string> systems;
    for (const auto& sv : customer.source_versions())
      systems.insert(sv.source_key().substr(0, sv.source_key().find(':')));
    if (systems.size() > 1) {
      ++with_several_sources;
      if (sample.size() < options.limit)
        // The key carries the shard prefix the activity record shares.
        sample.push_back(CustomerJson(fold::LoadCustomer(*store, std::string(key)).value()));
    }
    return true;
  });
  uint64_t identity_events = 0, forwarded = 0;
  store->Scan(fold::Table::kEvents, [&](std::string_view key, std::string_view value) {
    auto applied = fold::DecodeState<state::v1::AppliedEvent>(value, fold::Table::kEvents, key);
    // A forwarded event is counted where its customer lives now.
    ++(applied.identity() ? identity_events : !applied.forwarded_to().empty() ? forwarded : events);
    return true;
  });
  store->Scan(fold::Table::kDeals, [&](auto, auto) { return ++deals, true; });
  store->Scan(fold::Table::kAccounts, [&](auto, auto) { return ++accounts, true; });
  store->Scan(fold::Table::kCampaigns, [&](auto, auto) { return ++campaigns, true; });
  nlohmann::ordered_json offsets = nlohmann::ordered_json::object();
  for (const auto& offset : store->AllOffsets())
    offsets[offset.stream + "[" + std::to_string(offset.partition) + "]"] = offset.next_offset;
  nlohmann::ordered_json out = {{"customers", customers},
                                {"customers_merged_away", merged_away},
                                {"customers_in_several_systems", with_several_sources},
                                {"events_applied", events},
                                {"events_forwarded", forwarded},
                                {"identity_events", identity_events},
                                {"deals", deals},
                                {"accounts", accounts},
                                {"campaigns", campaigns},
                                {"lifecycle_stages", by_stage},
                                {"next_offsets", offsets},
                                {"state_hash", store->StateHash()},
                                {"sample_customers_in_several_systems", sample}};
  std::cout << out.dump(2) << "\n";
}

}  // namespace

void RegisterQueryCommands(CLI::App& app, cli::Context& context) {
  auto options = std::make_shared<QueryOptions>();
  auto* query = app.add_subcommand("query", "Read the folded state");
  query->require_subcommand(1);
  auto* customer = query->add_subcommand(
      "customer",
      "Print one unified customer as JSON: every field with its source, every "
      "alias, and its deals. Exit 3 when there is no such customer");
  customer->add_option("--db", options->db, "State directory (default: store.path)");
  auto* email = customer->add_option("--email", options->email,
                                     "Find by e-mail (any case, surrounding spaces ignored)");
  auto* id = customer->add_option("--id", options->id, "Find by customer id");
  email->excludes(id);
  customer->callback([options, &context, email, id] {
    if (email->count() + id->count() == 0) throw CLI::RequiredError("--email or --id");
    QueryCustomer(*options, context);
  });

  auto* summary = query->add_subcommand(
      "summary",
      "Print what the state holds as JSON: counts, lifecycle stages, offsets, the "
      "state hash, and sample customers known to more than one system");
  summary->add_option("--db", options->db, "State directory (default: store.path)");
  summary->add_option("--limit", options->limit, "How many sample customers to print")
      ->capture_default_str();
  summary->callback([options, &context] { QuerySummary(*options, context); });

  // The feedback service's figures, from its state directory.
  auto feedback_db = [&context](const std::string& db) {
    return store::Store::Open(db.empty() ? context.Config().feedback.store_path : db,
                              store::Store::Mode::kReadOnly);
  };
  auto model = std::make_shared<std::string>("linear");
  auto* campaigns = query->add_subcommand(
      "campaigns",
      "Print the campaigns ranked by effectiveness under an attribution model, as JSON (the "
      "feedback service's state; docs/feedback.md)");
  campaigns->add_option("--db", options->db, "State directory (default: feedback.store_path)");
  campaigns->add_option("--model", *model, "first_touch, last_touch or linear")
      ->check(CLI::IsMember({"first_touch", "last_touch", "linear"}))
      ->capture_default_str();
  campaigns->add_option("--limit", options->limit, "How many campaigns to print")
      ->capture_default_str();
  campaigns->callback([options, model, feedback_db] {
    auto store = feedback_db(options->db);
    std::cout << CampaignRankingJson(StateQuery(*store), *ParseAttributionModel(*model),
                                     options->limit)
                     .dump(2)
              << "\n";
  });
  auto* reactivation = query->add_subcommand(
      "reactivation",
      "Print the customers due to be won back, with RFM scores and reasons, as JSON (the "
      "feedback service's state; docs/feedback.md)");
  reactivation->add_option("--db", options->db, "State directory (default: feedback.store_path)");
  reactivation->add_option("--limit", options->limit, "How many customers to print")
      ->capture_default_str();
  reactivation->callback([options, feedback_db] {
    auto store = feedback_db(options->db);
    std::cout << ReactivationListJson(StateQuery(*store), options->limit).dump(2) << "\n";
  });

  auto* hash = app.add_subcommand("state-hash", "Print the SHA-256 of the folded state");
  hash->footer(
      "Equal histories give equal hashes, whatever the batch sizes or restarts; consumer "
      "offsets are not part of it. Given the state directories of several projection "
      "instances, it hashes their combined state, each partition's shard taken from the "
      "instance that folded it furthest (docs/state.md).");
  auto dbs = std::make_shared<std::vector<std::string>>();
  hash->add_option("--db", *dbs, "State directory, repeatable (default: store.path)");
  hash->callback([dbs, &context] {
    if (dbs->empty()) {
      std::cout << OpenStore("", context)->StateHash() << "\n";
      return;
    }
    std::vector<std::unique_ptr<store::Store>> stores;
    std::vector<const store::Store*> views;
    for (const auto& db : *dbs) {
      stores.push_back(OpenStore(db, context));
      views.push_back(stores.back().get());
    }
    std::cout << (views.size() == 1 ? views[0]->StateHash()
                                    : store::Store::CombinedStateHash(views))
              << "\n";
  });
}

}  // namespace accord::query
