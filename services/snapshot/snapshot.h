#pragma once

#include <string>
#include <vector>

#include "io/store/store.h"
#include "services/api/routes.h"

namespace accord::snapshot {

// A snapshot as `accord snapshot show` reports it.
struct SnapshotInfo {
  std::vector<store::PartitionOffset> offsets;
  std::string state_hash;
};

// Writes a RocksDB checkpoint of `store`, its offsets included, to `dir`: an
// absolute path that does not exist yet. Safe while the projection writes:
// the checkpoint holds whole batches with their offsets. Throws
// store::StoreError.
void Create(store::Store& store, const std::string& dir);

// The answer to POST /v1/snapshots with the body {"path": "/absolute/dir"}:
// 201 with {"snapshot": dir} once written; 400 for a body without an
// absolute path, 409 when the path exists, 500 when the checkpoint fails.
api::Response AnswerSnapshotRequest(store::Store& store, const std::string& body);

// Reads a snapshot (read-only): its offsets and state hash. Throws
// store::StoreError naming the directory when it holds no Accord state, one
// of another format, or a replay --until state, which cannot be continued.
SnapshotInfo Inspect(const std::string& dir);

// Copies a snapshot that Inspect() accepts into `db`, which must be missing
// or empty, for the projection to continue from its offsets.
void Restore(const std::string& snapshot, const std::string& db);

}  // namespace accord::snapshot
