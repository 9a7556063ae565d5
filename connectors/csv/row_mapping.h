#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "accord/v1/event.pb.h"
#include "connectors/csv/csv_reader.h"
#include "core/events/envelope.h"

namespace accord::connectors::csv {

// The built-in row layouts. Columns are found by header name, so their order
// is free; see docs/import.md for the columns of each kind.
enum class Kind { kContacts, kCampaigns, kDeals };

// The file's header lacks a column the kind requires.
class LayoutError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Rejection {
  std::string column;  // "" when the row as a whole is wrong
  std::string reason;
};

// Turns rows of one kind into events. Pure: `ingested_at_ms` is passed in.
class RowMapper {
 public:
  RowMapper(Kind kind, const std::vector<std::string>& header);

  // An event, or why the row cannot become one.
  std::optional<v1::Event> Map(const Record& row, int64_t ingested_at_ms,
                               Rejection& rejection) const;

 private:
  const std::string* Cell(const Record& row, const char* column) const;
  // The row's source system, record id, version and time, checked.
  bool ParseSource(const Record& row, const std::string& record_column,
                   events::SourceChange& change, Rejection& rejection) const;
  std::optional<v1::Event> MapContact(const Record& row, events::SourceChange& change,
                                      Rejection& rejection) const;
  std::optional<v1::Event> MapCampaign(const Record& row, events::SourceChange& change,
                                       Rejection& rejection) const;
  std::optional<v1::Event> MapDeal(const Record& row, events::SourceChange& change,
                                   Rejection& rejection) const;

  Kind kind_;
  size_t width_;
  std::vector<std::string> header_;
  std::map<std::string, size_t> columns_;
};

// "12500.00" or "12500" -> 1250000 minor units; nullopt when not a decimal
// with at most two fraction digits.
std::optional<int64_t> ParseMinorUnits(std::string_view text);

}  // namespace accord::connectors::csv
