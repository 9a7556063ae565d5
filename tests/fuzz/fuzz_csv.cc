// libFuzzer target: arbitrary bytes as a CSV file, read as the import reads
// it through several built-in mappings (Accord's layouts, a German
// spreadsheet, a CRM opportunity export).
//
// Checked: no crash, leak or undefined behaviour; the reader makes progress,
// gives every good record at least one field and numbers records by
// ascending line; and what mapped_records.h checks of every record.

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "connectors/import/csv_reader.h"
#include "connectors/mapping/builtin_mappings.h"
#include "tests/fuzz/mapped_records.h"

namespace {

namespace connectors = accord::connectors;
namespace file_import = accord::connectors::file_import;
using accord::fuzzing::Fail;

void CheckReader(const std::string& input) {
  std::istringstream in(input);
  file_import::Reader reader(in);
  file_import::Record record;
  std::string error;
  size_t last_line = 0;
  // Every record consumes at least one byte, so more calls than bytes (plus
  // the final "end of input") means the reader is stuck.
  for (size_t calls = 0; reader.Next(record, error); ++calls) {
    if (calls > input.size()) Fail("reader does not make progress");
    if (record.line <= last_line) Fail("line numbers not ascending");
    last_line = record.line;
    if (error.empty() && record.fields.empty()) Fail("record without fields");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  CheckReader(input);
  static const auto* mappings = new std::vector<connectors::Mapping>{
      connectors::LoadMapping("accord-contacts"), connectors::LoadMapping("accord-campaigns"),
      connectors::LoadMapping("accord-deals"), connectors::LoadMapping("spreadsheet-de"),
      connectors::LoadMapping("salesforce-opportunities")};
  for (const auto& mapping : *mappings) {
    std::istringstream in(input);
    try {
      auto records =
          file_import::CsvRecords(in, mapping, {mapping.read().delimiter, mapping.read().encoding});
      accord::fuzzing::MapEveryRecord(*records, mapping);
    } catch (const connectors::MappingError&) {
      // The header lacks a column the mapping needs: the import refuses the
      // file, which is the expected outcome for most inputs.
    }
  }
  return 0;
}
