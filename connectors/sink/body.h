#pragma once

#include <optional>
#include <string>

#include "accord/v1/event.pb.h"

namespace accord::connectors::sink {

// The JSON a sink delivers for a feedback event: its id, kind, customer,
// time and payload (protobuf field names), marked with Accord's origin
// ("origin" and "changeSource": "accord") so that a tool sending the change
// back in a webhook notification is not re-ingested.
//
//   {"id": "...", "type": "score_updated", "customer_id": "c...",
//    "customer_key": "email:...", "occurred_at": "2025-03-14T09:30:00.000Z",
//    "origin": "accord", "changeSource": "accord",
//    "score_updated": {"score": 62, ...}}
std::string FeedbackJson(const v1::Event& event);

// The team-chat message for an event sales should see, in the incoming-
// webhook shape {"text": "..."}: qualified leads, contact pauses,
// reactivation candidates and won deals; nullopt for everything else.
std::optional<std::string> ChatMessageJson(const v1::Event& event);

}  // namespace accord::connectors::sink
