#pragma once

// What the fuzz targets of file formats check once records are read: every
// record maps to an event or to a rejection with a reason; unless
// ACCORD_FUZZ_CONTRACTS=0, an accepted record's event passes
// events::DecodeEvent (the projector dead-letters anything else) and mapping
// the same record twice gives the same bytes (same event id: re-imports
// publish nothing new).

#include <google/protobuf/stubs/logging.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "connectors/import/records.h"
#include "connectors/mapping/mapping.h"
#include "domain/events/envelope.h"

namespace accord::fuzzing {

[[noreturn]] inline void Fail(const std::string& what) {
  std::fprintf(stderr, "fuzz: %s\n", what.c_str());
  std::abort();
}

inline bool CheckContracts() {
  static const bool check = [] {
    const char* contracts = std::getenv("ACCORD_FUZZ_CONTRACTS");
    // Protobuf logs every invalid UTF-8 string it serializes; the contract
    // check reports the consequence once, with the line.
    google::protobuf::SetLogHandler(nullptr);
    return !(contracts && std::strcmp(contracts, "0") == 0);
  }();
  return check;
}

inline void MapEveryRecord(connectors::file_import::RecordSource& records,
                           const connectors::Mapping& mapping) {
  constexpr int64_t kFileTime = 1'700'000'000'000;
  connectors::file_import::SourceRecord record;
  while (records.Next(record)) {
    if (!record.error.empty()) continue;
    if (record.values.size() != mapping.columns().size()) Fail("a value missing for a column");
    auto result = mapping.Map(record.values, kFileTime, kFileTime);
    if (result.own_write) continue;
    if (!result.event) {
      if (result.reason.empty()) Fail("rejection without a reason");
      continue;
    }
    (void)events::MessageKey(*result.event);
    if (!CheckContracts()) continue;
    const std::string bytes = result.event->SerializeAsString();
    v1::Event consumed;
    auto decoded = events::DecodeEvent(bytes, consumed);
    if (decoded.error != events::DecodeError::kNone)
      Fail("record at line " + std::to_string(record.line) +
           " is accepted but its event is refused by consumers: " + decoded.reason);
    auto again = mapping.Map(record.values, kFileTime, kFileTime);
    if (!again.event || again.event->SerializeAsString() != bytes)
      Fail("mapping the same record twice differs");
  }
}

}  // namespace accord::fuzzing
