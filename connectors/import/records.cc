#include "connectors/import/records.h"

#include <nlohmann/json.hpp>

namespace accord::connectors::file_import {
namespace {

class Csv : public RecordSource {
 public:
  Csv(std::istream& in, const Mapping& mapping, const ReadOptions& options)
      : reader_(in, options.delimiter), encoding_(options.encoding) {
    Record header;
    std::string error;
    if (!reader_.Next(header, error) || !error.empty())
      throw MappingError(mapping.name() + ": the file has no readable header row" +
                         (error.empty() ? "" : " (" + error + ")"));
    for (auto& name : header.fields) {
      auto utf8 = ToUtf8(name, encoding_);
      if (!utf8)
        throw MappingError("the file's header is not " + std::string(EncodingName(encoding_)) +
                           " text (choose another --encoding)");
      header_.push_back(std::move(*utf8));
    }
    positions_ = mapping.BindHeader(header_);
  }

  bool Next(SourceRecord& record) override {
    Record row;
    std::string error;
    if (!reader_.Next(row, error)) return false;
    record = SourceRecord();
    record.line = row.line;
    record.raw = row.fields;
    if (!error.empty()) {
      record.error = error;
      return true;
    }
    // Spreadsheets often end rows with empty cells beyond the header.
    while (row.fields.size() > header_.size() && Trim(row.fields.back()).empty())
      row.fields.pop_back();
    if (row.fields.size() != header_.size()) {
      record.error = "expected " + std::to_string(header_.size()) + " columns, found " +
                     std::to_string(row.fields.size());
      return true;
    }
    for (size_t position : positions_) {
      if (position == Mapping::kAbsent) {
        record.values.emplace_back();
        continue;
      }
      auto utf8 = ToUtf8(row.fields[position], encoding_);
      if (!utf8) {
        record.error_column = header_[position];
        record.error = encoding_ == Encoding::kUtf8
                           ? "not valid UTF-8 text (is the file in another --encoding?)"
                           : "holds a byte undefined in " + std::string(EncodingName(encoding_));
        return true;
      }
      record.values.push_back(std::move(*utf8));
    }
    return true;
  }

  uint64_t bytes_read() const override { return reader_.bytes_read(); }

 private:
  Reader reader_;
  Encoding encoding_;
  std::vector<std::string> header_;
  std::vector<size_t> positions_;
};

class Jsonl : public RecordSource {
 public:
  Jsonl(std::istream& in, const Mapping& mapping) : in_(in), mapping_(mapping) {}

  bool Next(SourceRecord& record) override {
    std::string line;
    for (;;) {
      if (!std::getline(in_, line)) return false;
      bytes_read_ += line.size() + 1;
      ++line_;
      if (line_ == 1 && line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (Trim(line).empty()) continue;
      break;
    }
    record = SourceRecord();
    record.line = line_;
    record.raw = {line};
    nlohmann::json object;
    try {
      object = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      record.error = std::string("not JSON: ") + e.what();
      return true;
    }
    if (!object.is_object()) {
      record.error = "not a JSON object";
      return true;
    }
    for (const auto& column : mapping_.columns()) {
      std::string error;
      record.values.push_back(Lookup(object, column, error));
      if (!error.empty()) {
        record.error_column = column;
        record.error = error;
        return true;
      }
    }
    return true;
  }

  uint64_t bytes_read() const override { return bytes_read_; }

 private:
  static std::optional<std::string> Lookup(const nlohmann::json& object, const std::string& path,
                                           std::string& error) {
    const nlohmann::json* node = &object;
    size_t start = 0;
    while (start <= path.size()) {
      size_t end = path.find('.', start);
      std::string step =
          path.substr(start, end == std::string::npos ? std::string::npos : end - start);
      if (node->is_object()) {
        auto it = node->find(step);
        if (it == node->end()) return std::nullopt;
        node = &*it;
      } else if (node->is_array()) {
        auto index = ParseInteger(step);
        if (!index || *index < 0 || static_cast<size_t>(*index) >= node->size())
          return std::nullopt;
        node = &(*node)[static_cast<size_t>(*index)];
      } else {
        return std::nullopt;
      }
      if (end == std::string::npos) break;
      start = end + 1;
    }
    switch (node->type()) {
      case nlohmann::json::value_t::null:
        return std::nullopt;
      case nlohmann::json::value_t::string:
        return node->get<std::string>();
      case nlohmann::json::value_t::boolean:
        return node->get<bool>() ? "true" : "false";
      case nlohmann::json::value_t::number_integer:
      case nlohmann::json::value_t::number_unsigned:
      case nlohmann::json::value_t::number_float:
        return node->dump();
      default:
        error = "an object or list where a single value belongs";
        return std::nullopt;
    }
  }

  std::istream& in_;
  const Mapping& mapping_;
  size_t line_ = 0;
  uint64_t bytes_read_ = 0;
};

}  // namespace

std::unique_ptr<RecordSource> CsvRecords(std::istream& in, const Mapping& mapping,
                                         const ReadOptions& options) {
  return std::make_unique<Csv>(in, mapping, options);
}

std::unique_ptr<RecordSource> JsonlRecords(std::istream& in, const Mapping& mapping) {
  return std::make_unique<Jsonl>(in, mapping);
}

}  // namespace accord::connectors::file_import
