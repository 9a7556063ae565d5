#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace accord::fold {

// The logical tables the fold reads and writes. Each is one RocksDB column
// family (see docs/state.md for keys and encodings).
enum class Table : int {
  kCustomers,      // customer id -> state.v1.CustomerState without its activity counters
  kIdentity,       // identity key ("email:..", "src:..") -> customer id
  kDeals,          // "<system>:<deal id>" -> state.v1.DealState
  kCampaigns,      // campaign id -> state.v1.CampaignState
  kCampaignStats,  // campaign id -> state.v1.CampaignStats
  kEvents,         // event id -> state.v1.AppliedEvent
  kTimeline,       // "<customer id>/<sequence, 10 digits>" -> state.v1.TimelineEntry
  kFunnel,         // "current/<stage>" and "entered/<stage>" -> count, decimal
  kClaims,         // identity key -> home key of the customer (in any shard) holding it
  kActivity,       // customer id -> state.v1.CustomerActivity (the counters of a live customer)
  kAccounts,       // "<system>:<account id>" -> state.v1.AccountState
  kScores,         // customer id -> state.v1.ScoreState (the feedback service's; feedback/score.h)
  kEffectiveness,  // campaign id -> state.v1.CampaignEffect (feedback service; attribution.h)
  kSchedule,       // "<day, 8 digits>" -> state.v1.ScheduleDay, "clock" -> ScheduleClock (feedback)
  kAccountProfiles,  // "<system>:<account id>" -> state.v1.AccountProfileState (feedback)
};
inline constexpr int kTableCount = 15;
inline constexpr Table kAllTables[] = {
    Table::kCustomers,     Table::kIdentity, Table::kDeals,          Table::kCampaigns,
    Table::kCampaignStats, Table::kEvents,   Table::kTimeline,       Table::kFunnel,
    Table::kClaims,        Table::kActivity, Table::kAccounts,       Table::kScores,
    Table::kEffectiveness, Table::kSchedule, Table::kAccountProfiles};

std::string_view TableName(Table table);

// Read-only view of the state the fold runs against. The fold sees nothing
// else of the world: no clock, no randomness, no I/O.
class StateReader {
 public:
  virtual ~StateReader() = default;
  virtual std::optional<std::string> Get(Table table, std::string_view key) const = 0;
};

// One write the fold asks for; an empty value deletes the key.
struct Change {
  Table table;
  std::string key;
  std::optional<std::string> value;
};

}  // namespace accord::fold
