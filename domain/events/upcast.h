#pragma once

#include <string>
#include <string_view>

#include "accord/v1/event.pb.h"

namespace accord::events {

// Schema versions (docs/events.md, "Schema evolution"):
//   1  the first: payload fields as the source system wrote them.
//   2  CustomerUpserted.country and AccountUpserted.country are ISO 3166-1
//      alpha-2 codes ("DE") where the source named a country Accord knows
//      ("Deutschland", "germany", "DEU"); other text stays as written.
//
// Turns an event of an older schema version into the current one, one step
// at a time, before the fold; a current event is left as it is. Events
// nested in it (a forwarded event) are brought up too.
void Upcast(v1::Event& event);

// The ISO 3166-1 alpha-2 code a country's name, code or common spelling
// stands for (any case, surrounding spaces ignored); the text unchanged when
// it names no country Accord knows.
std::string CountryCode(std::string_view text);

}  // namespace accord::events
