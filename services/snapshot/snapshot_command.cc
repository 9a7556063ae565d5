#include "services/snapshot/snapshot_command.h"

#include <httplib.h>

#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "services/api/server_thread.h"
#include "services/replay/cut.h"
#include "services/snapshot/snapshot.h"

namespace accord::snapshot {
namespace {

struct CreateOptions {
  std::string dir;
  std::string db;
  std::string api;
};

// Asks the projection serving at `api` to write the snapshot itself: it
// holds its RocksDB open, and only the process that writes a RocksDB can
// checkpoint it.
void RequestSnapshot(const std::string& api, const std::string& dir) {
  const auto address = api::ParseListenAddress(api);
  httplib::Client client(address.host, address.port);
  client.set_connection_timeout(5);
  client.set_read_timeout(600);
  const std::string body = nlohmann::json{{"path", dir}}.dump();
  auto result = client.Post("/v1/snapshots", body, "application/json");
  if (!result)
    throw std::runtime_error("cannot reach the projection's HTTP API at " + api + " (" +
                             httplib::to_string(result.error()) +
                             "): is accord project running there? For a stopped projection "
                             "give --db");
  if (result->status != 201) {
    auto answer = nlohmann::json::parse(result->body, nullptr, false);
    throw std::runtime_error("the projection at " + api + " did not take the snapshot (HTTP " +
                             std::to_string(result->status) + "): " +
                             (answer.is_object() && answer.contains("error")
                                  ? answer["error"].get<std::string>()
                                  : result->body));
  }
}

void PrintSnapshot(const std::string& dir) {
  const auto info = Inspect(dir);
  std::cout << "snapshot " << dir << "\n"
            << "offsets " << replay::FormatOffsetList(info.offsets) << "\n"
            << "state hash " << info.state_hash << "\n";
}

}  // namespace

void RegisterSnapshotCommands(CLI::App& app, cli::Context& context) {
  auto* snapshot = app.add_subcommand("snapshot", "Take and inspect snapshots of the state");
  snapshot->require_subcommand(1);

  auto options = std::make_shared<CreateOptions>();
  auto* create = snapshot->add_subcommand(
      "create", "Write a RocksDB checkpoint of the state with its offsets to a new directory");
  create->footer(
      "Without --db, asks the running projection (POST /v1/snapshots on --api, default "
      "project.http_listen) to checkpoint the state it is writing: whole batches with their "
      "offsets, taken without stopping it. With --db, checkpoints the state directory of a "
      "stopped projection. Prints the snapshot's offsets (in the form accord replay "
      "--until-offsets takes) and its state hash. `accord project --restore DIR` starts a "
      "projection from it.");
  create->add_option("dir", options->dir, "The snapshot directory to create (must not exist)")
      ->required();
  auto* db = create->add_option("--db", options->db, "The state directory of a stopped projection");
  create
      ->add_option("--api", options->api,
                   "HOST:PORT of the running projection's HTTP API (default: project.http_listen)")
      ->excludes(db);
  create->callback([options, &context] {
    const std::string dir = std::filesystem::absolute(options->dir).lexically_normal().string();
    if (!options->db.empty()) {
      auto store = store::Store::Open(options->db, store::Store::Mode::kReadWrite,
                                      /*create_if_missing=*/false);
      Create(*store, dir);
    } else {
      const std::string api =
          options->api.empty() ? context.Config().project.http_listen : options->api;
      if (api.empty())
        throw std::runtime_error(
            "project.http_listen is empty: give the running projection's --api HOST:PORT, or "
            "--db for a stopped one");
      RequestSnapshot(api, dir);
    }
    PrintSnapshot(dir);
  });

  auto shown = std::make_shared<std::string>();
  auto* show = snapshot->add_subcommand("show", "Print a snapshot's offsets and state hash");
  show->add_option("dir", *shown, "The snapshot directory")->required();
  show->callback([shown] { PrintSnapshot(*shown); });
}

}  // namespace accord::snapshot
