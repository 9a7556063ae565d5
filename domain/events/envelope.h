#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "accord/v1/event.pb.h"
#include "domain/events/payload_kinds.h"

namespace accord::events {

// The payload schema version this build writes and folds; older versions are
// upcast before the fold (upcast.h), newer ones are refused (dead-lettered).
inline constexpr uint32_t kCurrentSchemaVersion = 2;

// Deterministic event id: the first 128 bits of SHA-256 over source system,
// source record id, source version and payload kind, hex encoded. Publishing
// the same change twice gives the same id.
std::string MakeEventId(std::string_view source_system, std::string_view source_record_id,
                        uint64_t source_version, std::string_view payload_kind);

// One change in a source system: which record, which version, when.
struct SourceChange {
  std::string system;
  std::string record_id;
  uint64_t version = 0;
  int64_t occurred_at_ms = 0;
};

// Fills the envelope of an event from a source system whose payload is set:
// schema version, source, occurred-at, external origin, and the
// deterministic event id (also the correlation id). The customer key and
// ingested-at are the caller's to set. The payload holds what the source
// wrote, which is what schema version 1 means; the upcasters give it the
// current meaning (upcast.h).
void StampEnvelope(v1::Event& event, const SourceChange& change);

// The name of the payload case, e.g. "customer_upserted"; "" when unset.
std::string_view PayloadKind(const v1::Event& event);

// Short lower-case names used in state, JSON and files: "mql", "closed_won".
std::string LifecycleStageName(v1::LifecycleStage stage);
std::optional<v1::LifecycleStage> ParseLifecycleStage(std::string_view name);
std::string DealStageName(v1::DealStage stage);
std::optional<v1::DealStage> ParseDealStage(std::string_view name);
std::string EngagementKindName(v1::EngagementKind kind);
std::optional<v1::EngagementKind> ParseEngagementKind(std::string_view name);

// Kafka topic names, all "<prefix>.<name>"; the prefix is "accord" unless
// configured otherwise (tests use their own to stay isolated).
struct Topics {
  explicit Topics(std::string_view prefix = "accord");
  std::string events;      // customer-scoped domain events, key = customer key
  std::string campaigns;   // campaign reference data, key = "campaign:<id>"
  std::string feedback;    // Accord's feedback events, key = customer key or campaign key
  std::string deadletter;  // messages refused by a consumer, key = original key

  const std::string& Of(Topic topic) const;
  // The topic an event's payload kind is published to (payload_kinds.h).
  const std::string& For(const v1::Event& event) const;
};

// The Kafka message key for an event, as its payload kind's row says
// (payload_kinds.h): campaign definitions are keyed by campaign, accounts by
// "account:<system>:<account id>", everything else by the customer key, so
// that all events about one customer land in one partition (the producer
// uses the murmur2 partitioner, as Java clients do, so every client agrees
// on the partition).
std::string MessageKey(const v1::Event& event);

// Reasons a message is refused by a consumer. kWrongKey: a valid event under
// another message key than MessageKey(event) (CheckMessageKey).
enum class DecodeError { kNone, kNotProtobuf, kFutureSchema, kInvalid, kWrongKey };

struct Decoded {
  DecodeError error = DecodeError::kNone;
  std::string reason;  // human-readable, for logs and dead-letter headers
};

// Parses and validates one message value into `event`.
Decoded DecodeEvent(std::string_view bytes, v1::Event& event);

// Whether a message's key is the one its event must be published under:
// "" when it is MessageKey(event), else the reason. Under another key the
// message sits in a partition that does not own the event's customer, so
// folding it there would split the customer across shards. `key` is null
// for a message without one.
std::string CheckMessageKey(const v1::Event& event, const std::string* key);

// Checks the envelope invariants every producer must keep; "" when valid.
std::string ValidateEvent(const v1::Event& event);

// The predicates below read the role of the event's payload kind
// (payload_kinds.h); all are false for an event without payload.

// True for the events connectors publish about a customer (not campaign
// definitions, feedback, or the projection's own identity events): folded
// into the customer, forwarded to its survivor after a move.
bool IsCustomerDomainEvent(const v1::Event& event);

// True for Accord's feedback events (scores, handovers, campaign
// effectiveness, reactivation candidates, contact pauses).
bool IsFeedbackEvent(const v1::Event& event);

// True for the projection's own identity events (identity.proto): claims,
// releases, merge requests and moved customers.
bool IsIdentityEvent(const v1::Event& event);

// True for the events the feedback service publishes to `accord.events` for
// its own fold (attribution credits for a campaign's shard, scores following
// a moved customer, account profiles and ticks for every shard); the
// projection passes them by.
bool IsFeedbackInput(const v1::Event& event);

// The source system of the events Accord itself publishes.
inline constexpr std::string_view kAccordSystem = "accord";

}  // namespace accord::events
