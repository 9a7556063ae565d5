#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace accord {

// Parses ISO 8601 / RFC 3339 date-times as sources export them:
// "2025-03-14T09:30:00Z", "2025-03-14T09:30:00.250+01:00", "2025-03-14 09:30:00"
// (no offset means UTC) and plain dates "2025-03-14" (midnight UTC).
// Returns milliseconds since the Unix epoch, or nullopt when the text is not
// a valid date-time (including impossible dates such as 31 February).
std::optional<int64_t> ParseIsoTimestampMs(std::string_view text);

// "2025-03-14T09:30:00.000Z".
std::string FormatIsoTimestampMs(int64_t ms);

}  // namespace accord
