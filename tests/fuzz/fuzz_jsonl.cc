// libFuzzer target: arbitrary bytes as a JSON Lines file, read through a
// mapping that uses nested paths, list indexes and every conversion.
// Checked: no crash, leak or undefined behaviour, and what mapped_records.h
// checks of every record.

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "tests/fuzz/mapped_records.h"

namespace {

constexpr const char* kMapping = R"(
event: deal_upserted
source_system: source
record_id: id
version: {column: meta.version, type: integer}
occurred_at: {column: meta.updated, format: DD.MM.YYYY}
customer:
  email: contacts.0.email
  record: contacts.0.id
skip_when: {column: meta.origin, values: [accord]}
fields:
  name: properties.name
  stage: {column: properties.stage, values: {won: closed_won, lost: closed_lost}}
  amount: {column: properties.amount, decimal_separator: ",", currency_column: properties.currency}
  campaign_id: {column: properties.campaign, optional: true}
)";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto* mapping =
      new accord::connectors::Mapping(accord::connectors::Mapping::Parse(kMapping, "fuzz"));
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  auto records = accord::connectors::file_import::JsonlRecords(in, *mapping);
  accord::fuzzing::MapEveryRecord(*records, *mapping);
  return 0;
}
