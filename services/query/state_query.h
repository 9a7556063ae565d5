#pragma once

#include <optional>
#include <string>
#include <vector>

#include "accord/state/v1/state.pb.h"
#include "core/store/store.h"

namespace accord::query {

// Read access to a projection state across its shards (fold/shard.h):
// lookups by identity or id search every shard the store holds, and merge
// redirects are followed within the shard.
class StateQuery {
 public:
  explicit StateQuery(const store::Store& store);

  struct Customer {
    std::string shard;
    state::v1::CustomerState state;
  };
  // `identity_key` as in the identity table: "email:...", "src:<system>:<id>".
  std::optional<Customer> ByIdentity(const std::string& identity_key) const;
  std::optional<Customer> ById(const std::string& customer_id) const;
  std::vector<state::v1::DealState> DealsOf(const Customer& customer) const;

  const std::vector<std::string>& shards() const { return shards_; }

 private:
  std::optional<state::v1::CustomerState> Resolve(const std::string& shard, std::string id) const;

  const store::Store& store_;
  std::vector<std::string> shards_;
};

}  // namespace accord::query
