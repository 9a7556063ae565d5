#pragma once

#include <span>
#include <string>
#include <string_view>

#include "accord/v1/event.pb.h"

namespace accord::events {

// The topic a payload kind is published to (Topics in envelope.h names them).
enum class Topic {
  kEvents,     // accord.events: customer-scoped events and Accord's own messages
  kCampaigns,  // accord.campaigns: campaign reference data
  kFeedback,   // accord.feedback: what Accord tells marketing
};

// What an event of a kind is, which decides who folds it and how.
enum class Role {
  // A change about one customer in a source system: folded into the
  // customer, and forwarded to its survivor when the customer has moved
  // away (a merge across shards).
  kCustomer,
  // Reference data from a source system that describes no person
  // (campaigns, accounts).
  kDefinition,
  // The projection's own identity events (identity.proto): claims,
  // releases, merge requests and moved customers.
  kIdentity,
  // An event passed on to a moved customer's survivor, unchanged inside.
  kForwarded,
  // Accord's feedback for marketing: scores, handovers, campaign
  // effectiveness, reactivation candidates, contact pauses.
  kFeedback,
  // The feedback service's messages to its own fold, published to
  // accord.events (attribution credits, account profiles, moved scores,
  // ticks); the projection passes them by.
  kFeedbackInput,
};

// One row per case of v1::Event's `payload` oneof: everything that tells
// kinds apart outside of their fold functions. payload_kinds_test.cc fails
// when a case has no row or a row contradicts another.
struct PayloadKindInfo {
  v1::Event::PayloadCase payload_case;
  // The oneof field's name, as mappings, event ids and timelines spell the
  // kind: "customer_upserted".
  std::string_view name;
  Topic topic;
  Role role;
  // A connector mapping may publish it (docs/mappings.md).
  bool mappable = false;
  // The Kafka message key of an event of this kind; null for the customer
  // key, which then must be a usable identity key.
  std::string (*key)(const v1::Event&) = nullptr;
  // The payload's own id field, which a mapping fills with the record id
  // unless it maps the field itself; "" when the kind has none.
  std::string_view own_id = {};
  // The kind's own validation beyond the envelope's: "" when valid.
  std::string (*check)(const v1::Event&) = nullptr;

  // Keyed by the customer key, so all of one customer lands in one partition.
  bool KeyedByCustomer() const { return key == nullptr; }
};

// Every row, in field-number order.
std::span<const PayloadKindInfo> PayloadKinds();

// The row of a payload case or of an event's payload; null when unset.
const PayloadKindInfo* FindPayloadKind(v1::Event::PayloadCase payload_case);
const PayloadKindInfo* FindPayloadKind(const v1::Event& event);
// The row of a kind by name ("deal_upserted"); null when there is none.
const PayloadKindInfo* FindPayloadKind(std::string_view name);

}  // namespace accord::events
