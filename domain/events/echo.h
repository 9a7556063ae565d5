#pragma once

#include <string_view>

#include "accord/v1/event.pb.h"

namespace accord::events {

// Echo suppression: Accord's own events and write-backs are never ingested
// again, which would bounce changes between the systems. Both checks read
// the event or record alone, never a ledger of what was published, so every
// connector applies the same ones, streaming or transactional.

// True for an event Accord wrote (its origin, or its source system).
bool IsAccordsOwn(const v1::Event& event);

// True for an origin marker a source system keeps with a record (a change
// source, a "modified by") that names Accord, in any case.
bool IsAccordMarker(std::string_view marker);

}  // namespace accord::events
