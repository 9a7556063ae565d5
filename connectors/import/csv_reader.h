#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <string>
#include <vector>

namespace accord::connectors::file_import {

struct Record {
  // 1-based line where the record starts (a quoted field may span lines).
  size_t line = 0;
  std::vector<std::string> fields;
};

// Streaming RFC 4180 reader: quoted fields with embedded delimiters, quotes
// ("") and line breaks, CRLF or LF line ends, a UTF-8 byte-order mark at the
// start. Reads one record at a time, so files larger than memory stream.
class Reader {
 public:
  explicit Reader(std::istream& in, char delimiter = ',') : in_(in), delimiter_(delimiter) {}

  // Reads the next record; false at the end of input. A malformed record
  // sets `error`: after text following a closing quote the reader resumes at
  // the next line; a quote never closed takes the rest of the input with it,
  // since nothing tells where the field should have ended.
  bool Next(Record& record, std::string& error);
  // Bytes consumed so far (progress reports).
  uint64_t bytes_read() const { return bytes_read_; }

 private:
  int Get();
  void SkipRestOfLine();

  std::istream& in_;
  char delimiter_;
  size_t line_ = 1;
  uint64_t bytes_read_ = 0;
  bool started_ = false;
};

}  // namespace accord::connectors::file_import
