// libFuzzer target: arbitrary bytes through the CSV reader, then every record
// through a RowMapper of each kind, with the first record as the header.
//
// Always checked: no crash, leak or undefined behaviour, and the reader makes
// progress, gives every good record at least one field and numbers records by
// ascending line.
//
// Also checked unless ACCORD_FUZZ_CONTRACTS=0: what the import promises its
// consumers. A row the mapper accepts is published, so its bytes must pass
// events::DecodeEvent (the projector dead-letters anything else), and mapping
// the same row twice gives the same bytes (same event id: re-imports dedupe).

#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "connectors/csv/csv_reader.h"
#include "connectors/csv/row_mapping.h"
#include "core/events/envelope.h"

namespace {

namespace csv = accord::connectors::csv;
namespace events = accord::events;
namespace v1 = accord::v1;

bool check_contracts = true;

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_csv: %s\n", what.c_str());
  std::abort();
}

void CheckPublishable(const csv::RowMapper& mapper, const csv::Record& row,
                      const v1::Event& event) {
  const std::string bytes = event.SerializeAsString();
  v1::Event consumed;
  auto decoded = events::DecodeEvent(bytes, consumed);
  if (decoded.error != events::DecodeError::kNone)
    Fail("row at line " + std::to_string(row.line) +
         " is accepted but its event is refused by consumers: " + decoded.reason);
  csv::Rejection rejection;
  auto again = mapper.Map(row, 1'700'000'000'000, rejection);
  if (!again || again->SerializeAsString() != bytes) Fail("mapping the same row twice differs");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* contracts = std::getenv("ACCORD_FUZZ_CONTRACTS");
  check_contracts = !(contracts && std::strcmp(contracts, "0") == 0);
  // Protobuf logs every invalid UTF-8 string it serializes; the contract
  // check above reports the consequence once, with the line.
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  csv::Reader reader(in);
  std::vector<csv::Record> records;
  csv::Record record;
  std::string error;
  size_t last_line = 0;
  // Every record consumes at least one byte, so more calls than bytes (plus
  // the final "end of input") means the reader is stuck.
  for (size_t calls = 0; reader.Next(record, error); ++calls) {
    if (calls > size) Fail("reader does not make progress");
    if (record.line <= last_line) Fail("line numbers not ascending");
    last_line = record.line;
    // As the import does: an unreadable header ends it, unreadable rows are
    // rejected without mapping.
    if (!error.empty()) {
      if (calls == 0) return 0;
      continue;
    }
    if (record.fields.empty()) Fail("record without fields");
    records.push_back(record);
  }
  if (records.empty()) return 0;

  for (auto kind : {csv::Kind::kContacts, csv::Kind::kCampaigns, csv::Kind::kDeals}) {
    try {
      csv::RowMapper mapper(kind, records.front().fields);
      for (const auto& row : records) {
        csv::Rejection rejection;
        auto event = mapper.Map(row, 1'700'000'000'000, rejection);
        if (!event) {
          if (rejection.reason.empty()) Fail("rejection without a reason");
          continue;
        }
        (void)events::MessageKey(*event);
        if (check_contracts) CheckPublishable(mapper, row, *event);
      }
    } catch (const csv::LayoutError&) {
      // The header lacks a required column of this kind: the import refuses
      // the file, which is the expected outcome for most inputs.
    }
  }
  return 0;
}
