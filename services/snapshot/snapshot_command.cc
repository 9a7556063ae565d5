#include "services/snapshot/snapshot_command.h"

#include <httplib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "io/http/server.h"
#include "services/replay/cut.h"
#include "services/snapshot/snapshot.h"

namespace accord::snapshot {
namespace {

struct CreateOptions {
  std::string dir;
  std::string db;
  std::string api;
  std::string ca_file;
};

// The admin token the snapshot request carries: ACCORD_API_TOKEN, or the
// file ACCORD_API_TOKEN_FILE names.
std::string ApiToken() {
  if (const char* token = std::getenv("ACCORD_API_TOKEN")) return token;
  const char* file = std::getenv("ACCORD_API_TOKEN_FILE");
  if (!file) return "";
  std::ifstream in(file);
  if (!in) throw std::runtime_error("ACCORD_API_TOKEN_FILE: cannot read " + std::string(file));
  std::string token;
  std::getline(in, token);
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
  return token;
}

// Asks the projection serving at `api` to write the snapshot itself: it
// holds its RocksDB open, and only the process that writes a RocksDB can
// checkpoint it. Over TLS when `ca_file` (the certificate the API's is
// checked against) is given.
void RequestSnapshot(const std::string& api, const std::string& dir, const std::string& ca_file) {
  const auto address = http::ParseListenAddress(api);
  const std::string host = address.host == "0.0.0.0" ? "127.0.0.1" : address.host;
  httplib::Client client((ca_file.empty() ? "http://" : "https://") +
                         (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
                         std::to_string(address.port));
  if (!ca_file.empty()) client.set_ca_cert_path(ca_file.c_str());
  client.set_connection_timeout(5);
  client.set_read_timeout(600);
  if (const std::string token = ApiToken(); !token.empty()) client.set_bearer_token_auth(token);
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
      "projection from it. The request needs a token of the admin role in ACCORD_API_TOKEN (or "
      "a file named by ACCORD_API_TOKEN_FILE), see docs/security.md; the snapshot holds every "
      "customer's personal data and is readable by its owner only.");
  create->add_option("dir", options->dir, "The snapshot directory to create (must not exist)")
      ->required();
  auto* db = create->add_option("--db", options->db, "The state directory of a stopped projection");
  create
      ->add_option("--api", options->api,
                   "HOST:PORT of the running projection's HTTP API (default: project.http_listen)")
      ->excludes(db);
  create
      ->add_option("--ca-file", options->ca_file,
                   "Speak TLS to the API and check its certificate against this PEM file "
                   "(default: http.tls_cert_file when the configuration serves TLS)")
      ->check(CLI::ExistingFile);
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
      RequestSnapshot(
          api, dir,
          options->ca_file.empty() ? context.Config().http.tls_cert_file : options->ca_file);
    }
    PrintSnapshot(dir);
  });

  auto shown = std::make_shared<std::string>();
  auto* show = snapshot->add_subcommand("show", "Print a snapshot's offsets and state hash");
  show->add_option("dir", *shown, "The snapshot directory")->required();
  show->callback([shown] { PrintSnapshot(*shown); });
}

}  // namespace accord::snapshot
