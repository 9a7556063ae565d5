#pragma once

#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "connectors/import/csv_reader.h"
#include "connectors/mapping/mapping.h"

namespace accord::connectors::file_import {

// One record of a file, as the values of the mapping's columns.
struct SourceRecord {
  // 1-based line where the record starts.
  size_t line = 0;
  // One per Mapping::columns(), UTF-8; nullopt where the record has none.
  std::vector<std::optional<std::string>> values;
  // Set when the record cannot be read: the column ("" for the whole
  // record) and why. `values` is then incomplete.
  std::string error_column;
  std::string error;
  // The record as the file holds it, for the reject file.
  std::vector<std::string> raw;
};

// Records of a file in some format, read one at a time (files larger than
// memory stream through).
class RecordSource {
 public:
  virtual ~RecordSource() = default;
  // False at the end of the input.
  virtual bool Next(SourceRecord& record) = 0;
  virtual uint64_t bytes_read() const = 0;
};

struct ReadOptions {
  char delimiter = ',';
  Encoding encoding = Encoding::kUtf8;
};

// CSV with a header row naming the columns. Throws MappingError when the
// header lacks a column the mapping reads.
std::unique_ptr<RecordSource> CsvRecords(std::istream& in, const Mapping& mapping,
                                         const ReadOptions& options);

// JSON Lines: one object per line; a column is a dotted path into it
// ("properties.email", "emails.0"). Blank lines are skipped.
std::unique_ptr<RecordSource> JsonlRecords(std::istream& in, const Mapping& mapping);

}  // namespace accord::connectors::file_import
