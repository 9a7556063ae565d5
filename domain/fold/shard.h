#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "domain/fold/state.h"

namespace accord::fold {

// A shard is the state that one input partition produced. Every key the fold
// writes for an event from partition P of stream S ("events", "campaigns")
// is stored under the prefix "S/P/". Everything about one customer arrives in
// one partition, so the fold of an event never needs another shard; and
// because a shard is a function of its partition's history alone, the states
// of several projection instances combine shard by shard (docs/state.md).
std::string ShardPrefix(std::string_view stream, int32_t partition);

// The fold's view of one shard: keys without the prefix.
class ShardView : public StateReader {
 public:
  ShardView(const StateReader& base, std::string prefix)
      : base_(base), prefix_(std::move(prefix)) {}
  std::optional<std::string> Get(Table table, std::string_view key) const override {
    std::string shard_key;
    shard_key.reserve(prefix_.size() + key.size());
    shard_key.append(prefix_).append(key);
    return base_.Get(table, shard_key);
  }

 private:
  const StateReader& base_;
  std::string prefix_;
};

// Moves the fold's changes into the shard's key space.
void MoveIntoShard(std::vector<Change>& changes, const std::string& prefix);

}  // namespace accord::fold
