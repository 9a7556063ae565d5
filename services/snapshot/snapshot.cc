#include "services/snapshot/snapshot.h"

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

namespace accord::snapshot {
namespace {

api::Response JsonAnswer(int status, const nlohmann::json& body) {
  return {status, "application/json", body.dump(), {}};
}

}  // namespace

void Create(store::Store& store, const std::string& dir) {
  std::error_code ec;
  if (std::filesystem::exists(dir, ec))
    throw store::StoreError("snapshot directory " + dir + " exists already");
  store.Checkpoint(dir);
}

api::Response AnswerSnapshotRequest(store::Store& store, const std::string& body) {
  auto request = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!request.is_object() || !request.contains("path") || !request["path"].is_string())
    return JsonAnswer(400, {{"error", "expected a JSON body {\"path\": \"/absolute/dir\"}"}});
  const std::string dir = request["path"];
  if (!std::filesystem::path(dir).is_absolute())
    return JsonAnswer(400, {{"error", "path must be absolute, not " + dir}});
  std::error_code ec;
  if (std::filesystem::exists(dir, ec))
    return JsonAnswer(409, {{"error", "snapshot directory " + dir + " exists already"}});
  try {
    store.Checkpoint(dir);
  } catch (const std::exception& e) {
    return JsonAnswer(500, {{"error", e.what()}});
  }
  return JsonAnswer(201, {{"snapshot", dir}});
}

namespace {

// Opens a snapshot read-only, refusing what cannot be continued.
std::unique_ptr<store::Store> OpenSnapshot(const std::string& dir) {
  std::unique_ptr<store::Store> snapshot;
  try {
    snapshot = store::Store::Open(dir, store::Store::Mode::kReadOnly);
  } catch (const store::StoreError& e) {
    throw store::StoreError(std::string("not a usable snapshot: ") + e.what());
  }
  if (auto until = snapshot->Meta(store::kReplayedUntilKey))
    throw store::StoreError(dir + " is a replay up to what occurred by " + *until +
                            ", not a snapshot: it lacks later events wherever they stand in the "
                            "log, so it cannot be continued");
  return snapshot;
}

}  // namespace

SnapshotInfo Inspect(const std::string& dir) {
  auto snapshot = OpenSnapshot(dir);
  return {snapshot->AllOffsets(), snapshot->StateHash()};
}

void Restore(const std::string& snapshot, const std::string& db) {
  // Checked, not hashed: a hash would read the whole state for nothing.
  OpenSnapshot(snapshot);
  store::RequireFreshDirectory(db, "--db");
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(db, ec);
  // A plain copy: the snapshot stays untouched for the next restore.
  fs::copy(snapshot, db, fs::copy_options::recursive | fs::copy_options::overwrite_existing, ec);
  if (ec)
    throw store::StoreError("cannot copy snapshot " + snapshot + " to " + db + ": " + ec.message());
}

}  // namespace accord::snapshot
