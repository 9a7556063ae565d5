#include "connectors/import/csv_reader.h"

namespace accord::connectors::file_import {

int Reader::Get() {
  int c = in_.get();
  if (c == '\n') ++line_;
  if (c != EOF) ++bytes_read_;
  return c;
}

void Reader::SkipRestOfLine() {
  int c;
  while ((c = Get()) != EOF && c != '\n') {
  }
}

bool Reader::Next(Record& record, std::string& error) {
  error.clear();
  record.fields.clear();
  if (!started_) {
    started_ = true;
    if (in_.peek() == 0xEF) {
      char bom[3];
      in_.read(bom, 3);
      if (!(in_.gcount() == 3 && bom[1] == '\xBB' && bom[2] == '\xBF')) {
        in_.clear();
        in_.seekg(0);
      }
    }
  }
  if (in_.peek() == EOF) return false;
  record.line = line_;
  std::string field;
  bool quoted = false;      // inside a quoted field
  bool was_quoted = false;  // the current field was quoted and has closed
  for (;;) {
    int c = Get();
    if (quoted) {
      if (c == EOF) {
        error = "quoted field never closed";
        return true;
      }
      if (c == '"') {
        if (in_.peek() == '"') {
          Get();
          field.push_back('"');
        } else {
          quoted = false;
          was_quoted = true;
        }
      } else {
        field.push_back(static_cast<char>(c));
      }
      continue;
    }
    if (c == EOF || c == '\n' || c == delimiter_) {
      if (c == '\n' && !field.empty() && field.back() == '\r' && !was_quoted) field.pop_back();
      record.fields.push_back(std::move(field));
      field.clear();
      was_quoted = false;
      if (c != delimiter_) return true;
      continue;
    }
    if (c == '\r' && was_quoted && (in_.peek() == '\n' || in_.peek() == EOF)) continue;
    if (was_quoted) {
      error = "text after a closing quote in field " + std::to_string(record.fields.size() + 1);
      SkipRestOfLine();
      return true;
    }
    if (c == '"' && field.empty()) {
      quoted = true;
      continue;
    }
    field.push_back(static_cast<char>(c));
  }
}

}  // namespace accord::connectors::file_import
