#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "accord/v1/event.pb.h"
#include "connectors/mapping/convert.h"
#include "domain/events/payload_kinds.h"

namespace google::protobuf {
class FieldDescriptor;
}

namespace accord::connectors {

// A mapping file that cannot be used; the message starts with "FILE:LINE: ".
class MappingError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// How to read a file when the command line does not say otherwise.
struct ReadDefaults {
  char delimiter = ',';
  Encoding encoding = Encoding::kUtf8;
};

// What one record of a source becomes: which event, which of the record's
// columns fill which payload fields, with which conversions
// (docs/mappings.md). The same mapping serves every connector: CSV and JSONL
// files, and change data capture. Loading checks everything that can be
// checked without data; Map() is pure.
class Mapping {
 public:
  // Throws MappingError naming the file, the line and the reason.
  static Mapping Load(const std::string& path);
  // `name` stands for the file in errors.
  static Mapping Parse(std::string_view yaml, const std::string& name);

  const std::string& name() const { return name_; }
  const std::string& description() const { return description_; }
  const ReadDefaults& read() const { return read_; }
  // Accord's spelling of a source value of the payload field `field`, as the
  // field's values: table gives it ("closedwon" -> "closed_won"); nullopt
  // when the table has none. Other connectors of the same tool read its
  // values the same way.
  std::optional<std::string> Spelling(std::string_view field, std::string_view source) const;

  // The topic the mapping's events go to, as their payload kind's row says
  // (domain/events/payload_kinds.h): campaign definitions to the campaigns
  // topic, the rest to the events topic.
  events::Topic topic() const;
  bool ForCampaignsTopic() const { return topic() == events::Topic::kCampaigns; }
  // False for campaign and account definitions, whose events have no
  // customer key.
  bool NamesCustomer() const;

  // Every column the mapping reads: a CSV header name, or a dotted path into a
  // JSON object ("properties.email"). Readers hand Map() one value per
  // column, in this order.
  const std::vector<std::string>& columns() const { return columns_; }

  // For each of columns(), its position in a file's header (matched without
  // case and surrounding spaces), or kAbsent for an optional column the
  // header lacks. Throws MappingError naming the mapping line of a required
  // column the header lacks.
  static constexpr size_t kAbsent = static_cast<size_t>(-1);
  std::vector<size_t> BindHeader(const std::vector<std::string>& header) const;

  struct Result {
    std::optional<v1::Event> event;
    // The record carries Accord's own origin marker (skip_when): a change
    // Accord wrote back, not to be ingested again.
    bool own_write = false;
    // Why there is no event: the column (or "" for the record) and the reason.
    std::string column;
    std::string reason;
  };
  // `values[i]`: the UTF-8 text of columns()[i]; nullopt when the record
  // lacks it. `default_occurred_at_ms` stands in when the mapping names no
  // time column (a file's modification time).
  Result Map(const std::vector<std::optional<std::string>>& values, int64_t default_occurred_at_ms,
             int64_t ingested_at_ms) const;

  enum class Type { kText, kEmail, kInteger, kMoney, kDate, kTimestamp, kBoolean, kEnum, kList };
  // A column (index into columns()) or a constant, and how to convert it.
  struct Rule {
    int line = 0;
    std::optional<size_t> column;
    std::string constant;
    Type type = Type::kText;
    bool required = false;
    // Source spellings (lower case) -> target spelling, for enums and booleans.
    std::map<std::string, std::string> values;
    char decimal_separator = '.';
    DateOrder date_order = DateOrder::kIso;
    std::string currency = "EUR";
    std::optional<size_t> currency_column;
    std::string list_separator = ";";
    std::string item_prefix;
    const google::protobuf::FieldDescriptor* field = nullptr;
  };

 private:
  Mapping() = default;
  std::optional<std::string> Text(const Rule& rule,
                                  const std::vector<std::optional<std::string>>& values) const;
  bool SetField(v1::Event& event, const Rule& rule,
                const std::vector<std::optional<std::string>>& values, Result& result) const;

  std::string name_;
  std::string description_;
  ReadDefaults read_;
  const google::protobuf::FieldDescriptor* payload_ = nullptr;
  std::vector<std::string> columns_;
  std::vector<int> column_lines_;
  // Columns a file may lack (every rule reading them says optional: true).
  std::vector<bool> column_optional_;
  Rule source_system_;
  Rule record_id_;
  std::optional<Rule> version_;
  std::optional<Rule> occurred_at_;
  std::optional<Rule> customer_email_;
  std::optional<Rule> customer_record_;
  std::optional<Rule> skip_when_;
  std::vector<Rule> fields_;
  friend class MappingParser;
};

}  // namespace accord::connectors
