#include "domain/events/payload_kinds.h"

#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include <set>

#include "accord/state/v1/state.pb.h"
#include "domain/events/envelope.h"

namespace accord::events {
namespace {

namespace pb = google::protobuf;

const pb::OneofDescriptor& PayloadOneof() {
  const auto* oneof = v1::Event::descriptor()->FindOneofByName("payload");
  EXPECT_NE(oneof, nullptr);
  return *oneof;
}

// An event of `kind` with an empty payload and a usable customer key.
v1::Event EventOf(const PayloadKindInfo& kind) {
  v1::Event event;
  event.set_customer_key("email:anna@corp.de");
  const auto* field = v1::Event::descriptor()->FindFieldByNumber(kind.payload_case);
  event.GetReflection()->MutableMessage(&event, field);
  return event;
}

TEST(PayloadKinds, EveryPayloadCaseHasItsRow) {
  const auto& oneof = PayloadOneof();
  for (int i = 0; i < oneof.field_count(); ++i) {
    const auto* field = oneof.field(i);
    const auto* kind = FindPayloadKind(static_cast<v1::Event::PayloadCase>(field->number()));
    ASSERT_NE(kind, nullptr) << "payload case " << field->name()
                             << " has no row in domain/events/payload_kinds.cc";
    EXPECT_EQ(kind->name, field->name());
    EXPECT_EQ(FindPayloadKind(field->name()), kind);
  }
  EXPECT_EQ(PayloadKinds().size(), static_cast<size_t>(oneof.field_count()))
      << "a row for a case v1::Event does not have";
  EXPECT_EQ(FindPayloadKind(v1::Event::PAYLOAD_NOT_SET), nullptr);
  EXPECT_EQ(FindPayloadKind("no_such_kind"), nullptr);
}

TEST(PayloadKinds, RowsAreInFieldNumberOrderAndUnique) {
  std::set<std::string_view> names;
  int previous = 0;
  for (const auto& kind : PayloadKinds()) {
    EXPECT_GT(kind.payload_case, previous) << kind.name;
    previous = kind.payload_case;
    EXPECT_TRUE(names.insert(kind.name).second) << kind.name;
    const auto* field = v1::Event::descriptor()->FindFieldByNumber(kind.payload_case);
    ASSERT_NE(field, nullptr) << kind.name;
    EXPECT_EQ(field->containing_oneof(), &PayloadOneof()) << kind.name;
  }
}

TEST(PayloadKinds, WhatConnectorsPublishReachesTheProjection) {
  for (const auto& kind : PayloadKinds()) {
    if (!kind.mappable) continue;
    EXPECT_TRUE(kind.role == Role::kCustomer || kind.role == Role::kDefinition)
        << kind.name << ": a connector publishes changes in source systems only";
    // The projection consumes the events and campaigns topics.
    EXPECT_NE(kind.topic, Topic::kFeedback) << kind.name;
  }
}

TEST(PayloadKinds, CustomerEventsAreKeyedByTheirCustomer) {
  // Forwarding after a merge across shards re-keys them to the survivor.
  for (const auto& kind : PayloadKinds()) {
    if (kind.role != Role::kCustomer) continue;
    EXPECT_TRUE(kind.KeyedByCustomer()) << kind.name;
    EXPECT_EQ(kind.topic, Topic::kEvents) << kind.name;
  }
}

TEST(PayloadKinds, FeedbackAndOnlyFeedbackGoesToTheFeedbackTopic) {
  for (const auto& kind : PayloadKinds())
    EXPECT_EQ(kind.role == Role::kFeedback, kind.topic == Topic::kFeedback) << kind.name;
}

TEST(PayloadKinds, CampaignsTopicIsKeyedByCampaign) {
  for (const auto& kind : PayloadKinds()) {
    if (kind.topic != Topic::kCampaigns) continue;
    ASSERT_FALSE(kind.KeyedByCustomer()) << kind.name;
    EXPECT_TRUE(kind.key(EventOf(kind)).starts_with("campaign:")) << kind.name;
  }
}

TEST(PayloadKinds, AKindKeyedByItsOwnIdRefusesAnEventWithoutIt) {
  for (const auto& kind : PayloadKinds()) {
    if (kind.KeyedByCustomer()) continue;
    const auto event = EventOf(kind);
    if (!kind.key(event).ends_with(":")) continue;
    ASSERT_NE(kind.check, nullptr) << kind.name;
    EXPECT_NE(kind.check(event), "") << kind.name;
  }
}

TEST(PayloadKinds, OwnIdIsATextFieldOfAMappablePayload) {
  for (const auto& kind : PayloadKinds()) {
    if (kind.own_id.empty()) continue;
    EXPECT_TRUE(kind.mappable) << kind.name << ": only mappings fill own ids";
    const auto* payload =
        v1::Event::descriptor()->FindFieldByNumber(kind.payload_case)->message_type();
    const auto* field = payload->FindFieldByName(std::string(kind.own_id));
    ASSERT_NE(field, nullptr) << kind.name << " has no field " << kind.own_id;
    EXPECT_EQ(field->type(), pb::FieldDescriptor::TYPE_STRING) << kind.name;
    EXPECT_FALSE(field->is_repeated()) << kind.name;
  }
}

TEST(PayloadKinds, TimelineNotesKeepFeedbackKindsUnderTheirNames) {
  // The feedback fold copies a feedback event into the note of the same name.
  const auto* oneof = state::v1::FeedbackNote::descriptor()->FindOneofByName("payload");
  ASSERT_NE(oneof, nullptr);
  for (int i = 0; i < oneof->field_count(); ++i) {
    const auto* note = oneof->field(i);
    const auto* kind = FindPayloadKind(note->name());
    ASSERT_NE(kind, nullptr) << "FeedbackNote." << note->name() << " names no payload kind";
    EXPECT_EQ(kind->role, Role::kFeedback) << note->name();
    EXPECT_EQ(v1::Event::descriptor()->FindFieldByNumber(kind->payload_case)->message_type(),
              note->message_type())
        << note->name();
  }
}

TEST(PayloadKinds, EnvelopeClassifiesByTheTable) {
  const Topics topics("t");
  for (const auto& kind : PayloadKinds()) {
    const auto event = EventOf(kind);
    EXPECT_EQ(PayloadKind(event), kind.name);
    EXPECT_EQ(topics.For(event), topics.Of(kind.topic)) << kind.name;
    EXPECT_EQ(IsCustomerDomainEvent(event), kind.role == Role::kCustomer) << kind.name;
    EXPECT_EQ(IsFeedbackEvent(event), kind.role == Role::kFeedback) << kind.name;
    EXPECT_EQ(IsFeedbackInput(event), kind.role == Role::kFeedbackInput) << kind.name;
    EXPECT_EQ(IsIdentityEvent(event), kind.role == Role::kIdentity) << kind.name;
    if (kind.KeyedByCustomer()) {
      EXPECT_EQ(MessageKey(event), event.customer_key()) << kind.name;
    }
  }
  const v1::Event none;
  EXPECT_EQ(PayloadKind(none), "");
  EXPECT_EQ(topics.For(none), topics.events);
  EXPECT_FALSE(IsCustomerDomainEvent(none));
}

}  // namespace
}  // namespace accord::events
