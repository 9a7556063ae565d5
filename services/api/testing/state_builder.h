#pragma once

// Test support for the API's unit tests: a real RocksDB store in a temporary
// directory, filled by the real fold, shard by shard, the way the projector
// does it (fold::Apply on a ShardView over a batch overlay, MoveIntoShard,
// one Store::Commit per batch with the partition's next offset).

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "accord/v1/event.pb.h"
#include "domain/events/envelope.h"
#include "domain/events/identity.h"
#include "domain/feedback/score.h"
#include "domain/fold/fold.h"
#include "domain/fold/overlay.h"
#include "domain/fold/shard.h"
#include "io/store/store.h"

namespace accord::api::testing {

constexpr int64_t kT0 = 1741944600000;  // 2025-03-14T09:30:00.000Z
constexpr int64_t kMinute = 60'000;

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "accord-api-test-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string Sub(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// An empty state, for overlays that only carry writes.
class NoState : public fold::StateReader {
 public:
  std::optional<std::string> Get(fold::Table, std::string_view) const override {
    return std::nullopt;
  }
};

// Fills the envelope as connectors do; call after setting the payload.
inline v1::Event Finish(v1::Event event, const std::string& system, const std::string& record,
                        uint64_t version, int64_t at_ms, const std::string& customer_key) {
  event.set_customer_key(customer_key);
  events::StampEnvelope(event, {system, record, version, at_ms});
  event.set_ingested_at_ms(at_ms);
  return event;
}

struct ContactSpec {
  std::string system = "marketing";
  std::string record = "m1";
  uint64_t version = 1;
  int64_t at_ms = kT0;
  std::string email;
  std::optional<std::string> last_name = std::nullopt;
  v1::LifecycleStage stage = v1::LIFECYCLE_STAGE_UNSPECIFIED;
  std::vector<std::string> linked = {};
};

inline v1::Event Contact(const ContactSpec& spec) {
  v1::Event event;
  auto* upsert = event.mutable_customer_upserted();
  upsert->set_email(spec.email);
  if (spec.last_name) upsert->set_last_name(*spec.last_name);
  upsert->set_lifecycle_stage(spec.stage);
  for (const auto& id : spec.linked) upsert->add_linked_source_ids(id);
  return Finish(std::move(event), spec.system, spec.record, spec.version, spec.at_ms,
                *events::EmailIdentityKey(spec.email));
}

inline v1::Event Engagement(const std::string& record, int64_t at_ms, const std::string& email,
                            const std::string& campaign, v1::EngagementKind kind) {
  v1::Event event;
  event.mutable_campaign_engagement()->set_campaign_id(campaign);
  event.mutable_campaign_engagement()->set_kind(kind);
  return Finish(std::move(event), "marketing", record, 1, at_ms, *events::EmailIdentityKey(email));
}

inline v1::Event Deal(const std::string& deal_id, uint64_t version, int64_t at_ms,
                      const std::string& email, v1::DealStage stage, int64_t amount_minor) {
  v1::Event event;
  auto* deal = event.mutable_deal_upserted();
  deal->set_deal_id(deal_id);
  deal->set_name("Deal " + deal_id);
  deal->set_stage(stage);
  deal->mutable_amount()->set_minor_units(amount_minor);
  deal->mutable_amount()->set_currency("EUR");
  return Finish(std::move(event), "crm", deal_id, version, at_ms, *events::EmailIdentityKey(email));
}

inline v1::Event Campaign(const std::string& id, uint64_t version, int64_t at_ms,
                          const std::string& name) {
  v1::Event event;
  auto* campaign = event.mutable_campaign_upserted();
  campaign->set_campaign_id(id);
  campaign->set_name(name);
  campaign->set_channel("email");
  campaign->set_start_date("2025-03-01");
  campaign->mutable_budget()->set_minor_units(500000);
  campaign->mutable_budget()->set_currency("EUR");
  return Finish(std::move(event), "marketing", id, version, at_ms, "campaign:" + id);
}

inline v1::Event Account(const std::string& id, uint64_t version, int64_t at_ms,
                         const std::string& name, uint32_t employees) {
  v1::Event event;
  auto* account = event.mutable_account_upserted();
  account->set_account_id(id);
  account->set_name(name);
  account->set_employees(employees);
  account->mutable_annual_revenue()->set_minor_units(610000000);
  account->mutable_annual_revenue()->set_currency("EUR");
  return Finish(std::move(event), "crm", id, version, at_ms, "");
}

inline v1::Event Order(const std::string& order_id, int64_t at_ms, const std::string& email,
                       int64_t amount_minor) {
  v1::Event event;
  event.mutable_order_placed()->set_order_id(order_id);
  event.mutable_order_placed()->mutable_amount()->set_minor_units(amount_minor);
  event.mutable_order_placed()->mutable_amount()->set_currency("EUR");
  return Finish(std::move(event), "shop", order_id, 1, at_ms, *events::EmailIdentityKey(email));
}

// Folds batches of events into one store, as the projector would have
// consumed them from (stream, partition).
class StateBuilder {
 public:
  // With `feedback` rules, it folds as the feedback service does.
  explicit StateBuilder(const std::string& path,
                        std::optional<feedback::FeedbackRules> feedback = std::nullopt)
      : store_(store::Store::Open(path, store::Store::Mode::kReadWrite)),
        feedback_(std::move(feedback)) {}

  // One batch: every event folded in order, then one commit with the
  // partition's next offset.
  void Fold(const std::string& stream, int32_t partition, const std::vector<v1::Event>& events) {
    const std::string shard = fold::ShardPrefix(stream, partition);
    fold::Overlay overlay(*store_);
    int64_t& next = next_offsets_[{stream, partition}];
    for (const auto& event : events) {
      auto outcome = fold::Apply(fold::ShardView(overlay, shard), event);
      fold::MoveIntoShard(outcome.changes, shard);
      overlay.Record(outcome.changes);
      if (feedback_ && feedback::TakesEvent(outcome, event)) {
        auto scored = feedback::ApplyFeedback(fold::ShardView(overlay, shard), event,
                                              outcome.customer_id, *feedback_);
        fold::MoveIntoShard(scored.changes, shard);
        overlay.Record(scored.changes);
        for (auto& internal : scored.internal) internal_.push_back(std::move(internal));
        for (auto& broadcast : scored.broadcast) internal_.push_back(std::move(broadcast));
      }
      ++next;
    }
    store_->Commit(overlay, {{stream, partition, next}});
  }

  store::Store& store() { return *store_; }
  // The feedback fold's messages for other shards since the last call
  // (attribution credits, account profiles), to be folded where Kafka would
  // deliver them.
  std::vector<v1::Event> TakeInternal() { return std::exchange(internal_, {}); }

 private:
  std::unique_ptr<store::Store> store_;
  const std::optional<feedback::FeedbackRules> feedback_;
  std::vector<v1::Event> internal_;
  std::map<std::pair<std::string, int32_t>, int64_t> next_offsets_;
};

}  // namespace accord::api::testing
