#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "accord/state/v1/state.pb.h"
#include "io/store/store.h"

namespace accord::query {

// Read access to a projection state across its shards (fold/shard.h):
// lookups by identity or id search every shard the store holds, and merge
// redirects are followed, also to the shard a customer moved to. A customer
// that moved to a shard this store does not hold (another instance's) is
// not found here.
//
// The shards are those the store had offsets for when the query was made; a
// long-running reader (the HTTP API) makes a new StateQuery per request so it
// sees partitions assigned since.
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

  // One entry of a customer's timeline and whose timeline it was recorded in
  // (the customer itself or one merged into it).
  struct TimelineItem {
    std::string customer_id;
    uint64_t sequence = 0;
    state::v1::TimelineEntry entry;
  };
  // The customer's timeline together with the timelines of every customer
  // merged into it, ordered by occurred-at, then event id (then recording
  // customer and sequence, so the order never depends on anything else).
  std::vector<TimelineItem> TimelineOf(const Customer& customer) const;

  struct Deal {
    std::string shard;
    state::v1::DealState state;
    // The deal's customer after following merge redirects ("" when the
    // customer record is missing).
    std::string customer_id;
  };
  // By "<system>:<deal id>". A deal found in several shards (its customer's
  // key moved to another partition) is taken where it is newest.
  std::optional<Deal> DealByKey(const std::string& deal_key) const;

  // The customer's lead score, kept by the feedback service's state; none in
  // a projection's.
  std::optional<state::v1::ScoreState> ScoreOf(const Customer& customer) const;

  // By "<system>:<account id>", newest across shards.
  std::optional<state::v1::AccountState> AccountByKey(const std::string& account_key) const;

  struct Campaign {
    // The definition, newest across shards; none when only engagements with
    // the campaign have been seen.
    std::optional<state::v1::CampaignState> definition;
    // Engagement counts summed over every shard, indexed by
    // accord.v1.EngagementKind.
    std::vector<uint64_t> counts_by_kind;
    bool has_stats = false;
  };
  // Nullopt when the campaign is neither defined nor engaged with.
  std::optional<Campaign> CampaignById(const std::string& campaign_id) const;

  // Campaign effectiveness, kept by the feedback service's state (none in a
  // projection's): every campaign's attributed totals.
  std::vector<state::v1::CampaignEffect> CampaignEffects() const;
  std::optional<state::v1::CampaignEffect> CampaignEffectOf(const std::string& campaign_id) const;

  // The customers announced as reactivation candidates and not bought since
  // (feedback service's state), with their scores.
  struct Candidate {
    Customer customer;
    state::v1::ScoreState score;
  };
  std::vector<Candidate> ReactivationCandidates() const;

  // Every live customer (not merged into another) in the shards this store
  // holds, and every deal (where a deal is in several shards, its newest).
  std::vector<Customer> LiveCustomers() const;
  std::vector<Deal> AllDeals() const;

  // Funnel counts summed over every shard, by stage name ("mql").
  struct Funnel {
    std::map<std::string, int64_t> current;
    std::map<std::string, int64_t> entered;
  };
  Funnel FunnelTotals() const;

  const std::vector<std::string>& shards() const { return shards_; }

 private:
  // The record under `key` in whichever shard holds its newest version (by
  // source version, then update time), with that shard.
  template <typename Record>
  std::optional<std::pair<std::string, Record>> NewestInShards(fold::Table table,
                                                               const std::string& key) const;
  std::optional<Customer> Resolve(std::string shard, std::string id) const;
  // The shard holding `identity_key` and the customer id it names there.
  std::optional<std::pair<std::string, std::string>> FindIdentity(
      const std::string& identity_key) const;

  const store::Store& store_;
  std::vector<std::string> shards_;
};

}  // namespace accord::query
