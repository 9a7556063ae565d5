#pragma once

// A simulated cluster for the fold's unit tests: one in-memory shard per
// partition, a log per partition, and delivery in random partition order,
// with the emitted events published back as Kafka would.

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "domain/fold/codec.h"
#include "domain/fold/fold.h"
#include "domain/fold/testing/fold_testing.h"
#include "domain/util/hash.h"

namespace accord::fold::test_support {

using state::v1::CustomerState;

class Cluster {
 public:
  Cluster(int partitions, uint64_t seed) : shards_(partitions), logs_(partitions), random_(seed) {}

  // The feedback service's fold: runs after the projection's fold of each
  // message, on its shard; it may publish.
  using FeedbackFold =
      std::function<void(MemoryState& shard, const v1::Event& event, const Outcome& outcome)>;
  void SetFeedbackFold(FeedbackFold feedback_fold) { feedback_fold_ = std::move(feedback_fold); }

  int PartitionOf(const std::string& key) const {
    return static_cast<int>(std::stoull(Sha256Hex(key).substr(0, 8), nullptr, 16) % shards_.size());
  }

  void Publish(const v1::Event& event) {
    logs_[PartitionOf(events::MessageKey(event))].push_back(event.SerializeAsString());
  }
  void PublishToEveryPartition(const v1::Event& event) {
    for (auto& log : logs_) log.push_back(event.SerializeAsString());
  }

  // Delivers one message at a time from a randomly chosen partition, in
  // partition order, until every log is consumed. Fails the test if the
  // emitted events do not die out.
  void Drain() {
    for (;;) {
      std::vector<int> pending;
      for (size_t p = 0; p < logs_.size(); ++p)
        if (!logs_[p].empty()) pending.push_back(static_cast<int>(p));
      if (pending.empty()) return;
      int partition = pending[random_() % pending.size()];
      std::string bytes = std::move(logs_[partition].front());
      logs_[partition].pop_front();
      v1::Event event;
      auto decoded = events::DecodeEvent(bytes, event);
      ASSERT_EQ(decoded.error, events::DecodeError::kNone) << decoded.reason;
      Outcome outcome = Apply(shards_[partition], event);
      shards_[partition].Write(outcome.changes);
      verdicts_[outcome.verdict]++;
      for (const auto& emitted : outcome.emitted) {
        ASSERT_EQ(events::ValidateEvent(emitted), "");
        Publish(emitted);
      }
      if (feedback_fold_) feedback_fold_(shards_[partition], event, outcome);
      ASSERT_LT(++delivered_, 100'000u) << "emitted events keep circling";
    }
  }

  // The live customer an identity key names, following moves across shards.
  struct Found {
    int partition = -1;
    CustomerState customer;
  };
  std::optional<Found> Find(std::string key) const {
    for (int hops = 0; hops < 16; ++hops) {
      std::optional<Found> found;
      for (size_t p = 0; p < shards_.size() && !found; ++p)
        if (auto id = shards_[p].Get(Table::kIdentity, key))
          if (auto customer = LoadCustomer(shards_[p], *id))
            found = Found{static_cast<int>(p), std::move(*customer)};
      if (!found || found->customer.merged_into_key().empty()) return found;
      key = found->customer.merged_into_key();
    }
    ADD_FAILURE() << "moves of " << key << " run in circles";
    return std::nullopt;
  }

  std::vector<CustomerState> Live() const {
    std::vector<CustomerState> live;
    for (const auto& shard : shards_)
      for (const auto& [id, bytes] : shard.Rows(Table::kCustomers)) {
        auto customer = DecodeState<CustomerState>(bytes, Table::kCustomers, id);
        if (customer.merged_into().empty() && customer.merged_into_key().empty())
          live.push_back(*LoadCustomer(shard, id));
      }
    return live;
  }

  // Event ids on a customer's timeline and the timelines merged into it.
  std::multiset<std::string> TimelineEvents(const Found& found) const {
    std::multiset<std::string> ids;
    std::vector<std::string> owners = {found.customer.customer_id()};
    owners.insert(owners.end(), found.customer.merged_customer_ids().begin(),
                  found.customer.merged_customer_ids().end());
    for (const auto& owner : owners)
      for (const auto& [key, bytes] : shards_[found.partition].Rows(Table::kTimeline))
        if (key.starts_with(owner + "/"))
          ids.insert(
              DecodeState<state::v1::TimelineEntry>(bytes, Table::kTimeline, key).event_id());
    return ids;
  }

  const MemoryState& shard(int partition) const { return shards_[partition]; }
  uint64_t verdicts(Verdict verdict) const {
    auto it = verdicts_.find(verdict);
    return it == verdicts_.end() ? 0 : it->second;
  }

 private:
  FeedbackFold feedback_fold_;
  std::vector<MemoryState> shards_;
  std::vector<std::deque<std::string>> logs_;
  std::mt19937_64 random_;
  std::map<Verdict, uint64_t> verdicts_;
  uint64_t delivered_ = 0;
};

}  // namespace accord::fold::test_support
