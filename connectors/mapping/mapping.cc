#include "connectors/mapping/mapping.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/reflection.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <set>
#include <sstream>

#include "domain/events/envelope.h"
#include "domain/events/identity.h"
#include "domain/events/payload_kinds.h"
#include "domain/util/hash.h"
#include "domain/util/time.h"

namespace accord::connectors {
namespace {

namespace pb = google::protobuf;
using Type = Mapping::Type;
using Values = std::vector<std::optional<std::string>>;

// The payloads a connector may publish (changes in source systems, not
// Accord's own feedback or identity events), by name.
const std::set<std::string>& ConnectorPayloads() {
  static const std::set<std::string> kPayloads = [] {
    std::set<std::string> names;
    for (const auto& kind : events::PayloadKinds())
      if (kind.mappable) names.emplace(kind.name);
    return names;
  }();
  return kPayloads;
}

// Campaign and account definitions describe no person.
bool NamesCustomer(const std::string& payload) {
  return events::FindPayloadKind(payload)->KeyedByCustomer();
}

const std::map<std::string, Type>& TypeNames() {
  static const std::map<std::string, Type> kNames = {
      {"text", Type::kText},       {"email", Type::kEmail}, {"integer", Type::kInteger},
      {"money", Type::kMoney},     {"date", Type::kDate},   {"timestamp", Type::kTimestamp},
      {"boolean", Type::kBoolean}, {"enum", Type::kEnum},   {"list", Type::kList}};
  return kNames;
}

// "LIFECYCLE_STAGE_MQL" of enum LifecycleStage -> "mql".
std::string EnumSpelling(const pb::EnumValueDescriptor& value) {
  std::string prefix;
  for (char c : value.type()->name()) {
    if (c >= 'A' && c <= 'Z' && !prefix.empty()) prefix += '_';
    prefix += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  }
  prefix += '_';
  std::string name = value.name();
  if (name.starts_with(prefix)) name = name.substr(prefix.size());
  return AsciiLower(name);
}

const pb::EnumValueDescriptor* FindEnumValue(const pb::EnumDescriptor& type,
                                             const std::string& spelling) {
  for (int i = 0; i < type.value_count(); ++i) {
    const auto* value = type.value(i);
    if (value->number() != 0 && EnumSpelling(*value) == spelling) return value;
  }
  return nullptr;
}

std::string EnumSpellings(const pb::EnumDescriptor& type) {
  std::string out;
  for (int i = 0; i < type.value_count(); ++i)
    if (type.value(i)->number() != 0)
      out += (out.empty() ? "" : ", ") + EnumSpelling(*type.value(i));
  return out;
}

bool IsMoney(const pb::FieldDescriptor& field) {
  return field.type() == pb::FieldDescriptor::TYPE_MESSAGE &&
         field.message_type()->full_name() == "accord.v1.Money";
}

// The conversions that can fill a field of this kind; the first is the default.
std::vector<Type> TypesFor(const pb::FieldDescriptor& field) {
  if (field.is_repeated())
    return field.type() == pb::FieldDescriptor::TYPE_STRING ? std::vector<Type>{Type::kList}
                                                            : std::vector<Type>{};
  switch (field.type()) {
    case pb::FieldDescriptor::TYPE_STRING:
      return {Type::kText, Type::kEmail, Type::kDate, Type::kTimestamp};
    case pb::FieldDescriptor::TYPE_ENUM:
      return {Type::kEnum};
    case pb::FieldDescriptor::TYPE_BOOL:
      return {Type::kBoolean};
    case pb::FieldDescriptor::TYPE_INT32:
    case pb::FieldDescriptor::TYPE_INT64:
    case pb::FieldDescriptor::TYPE_UINT32:
    case pb::FieldDescriptor::TYPE_UINT64:
      return {Type::kInteger};
    case pb::FieldDescriptor::TYPE_MESSAGE:
      return IsMoney(field) ? std::vector<Type>{Type::kMoney} : std::vector<Type>{};
    default:
      return {};
  }
}

std::string Quoted(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

std::string HexDigest(std::string_view bytes) {
  Sha256 sha;
  sha.UpdateField(bytes);
  auto digest = sha.Finish();
  return HexEncode(digest.data(), 16);
}

}  // namespace

class MappingParser {
 public:
  explicit MappingParser(Mapping& mapping) : mapping_(mapping) {}

  [[noreturn]] void Fail(const YAML::Node& node, const std::string& reason) const {
    throw MappingError(mapping_.name_ + ":" + std::to_string(node.Mark().line + 1) + ": " + reason);
  }

  void Parse(const YAML::Node& root) {
    if (!root.IsMap()) Fail(root, "a mapping file is a YAML map (event:, record_id:, fields: ...)");
    static const std::set<std::string> kKeys = {
        "description", "event",    "source_system", "record_id", "version",
        "occurred_at", "customer", "fields",        "skip_when", "read"};
    for (const auto& entry : root) {
      auto key = entry.first.as<std::string>();
      if (!keys_.emplace(key, entry.first).second)
        Fail(entry.first, "key " + Quoted(key) + " given twice");
      if (!kKeys.count(key))
        Fail(entry.first, "unknown key " + Quoted(key) +
                              " (expected description, event, source_system, record_id, version, "
                              "occurred_at, customer, fields, skip_when, read)");
    }
    if (root["read"]) ParseRead(root["read"]);
    if (root["description"]) {
      std::string description = root["description"].as<std::string>();
      // A folded block (description: >) ends with a line break.
      while (!description.empty() && description.back() == '\n') description.pop_back();
      mapping_.description_ = Trim(description);
    }
    auto event = Required(root, "event");
    const std::string payload = event.as<std::string>();
    if (!ConnectorPayloads().count(payload)) {
      std::string list;
      for (const auto& name : ConnectorPayloads()) list += (list.empty() ? "" : ", ") + name;
      Fail(event, "unknown event " + Quoted(payload) + " (one of: " + list + ")");
    }
    mapping_.payload_ = v1::Event::descriptor()->FindFieldByName(payload);

    const auto source_system = Required(root, "source_system");
    mapping_.source_system_ = ParseRule(Key("source_system"), source_system, Type::kText, false);
    const auto record_id = Required(root, "record_id");
    mapping_.record_id_ = ParseRule(Key("record_id"), record_id, Type::kText, true);
    if (record_id.IsMap() && record_id["optional"] && record_id["optional"].as<bool>())
      Fail(Key("record_id"), "this column is needed: every record has an id");
    if (auto version = root["version"]) {
      if (!(version.IsScalar() && version.as<std::string>() == "content")) {
        mapping_.version_ = ParseRule(Key("version"), version, Type::kInteger, true);
        if (mapping_.version_->type != Type::kInteger &&
            mapping_.version_->type != Type::kTimestamp)
          Fail(Key("version"), "version is an integer or a timestamp column, or \"content\"");
      }
    }
    if (auto occurred = root["occurred_at"]) {
      mapping_.occurred_at_ = ParseRule(Key("occurred_at"), occurred, Type::kTimestamp, true);
      if (mapping_.occurred_at_->type != Type::kTimestamp)
        Fail(Key("occurred_at"), "occurred_at is a timestamp");
    }
    if (auto skip = root["skip_when"]) {
      mapping_.skip_when_ = ParseRule(Key("skip_when"), skip, Type::kText, false);
      if (mapping_.skip_when_->values.empty())
        Fail(Key("skip_when"),
             "skip_when needs values: the origin markers that mean \"written by Accord\"");
    }
    if (auto fields = root["fields"]) ParseFields(fields);
    ParseCustomer(root, payload);
  }

 private:
  // The node of a top-level key itself, for errors about its whole value.
  const YAML::Node& Key(const std::string& name) const { return keys_.at(name); }

  YAML::Node Required(const YAML::Node& node, const char* key) const {
    auto child = node[key];
    if (!child) Fail(node, std::string("missing ") + key + ":");
    return child;
  }

  void ParseRead(const YAML::Node& read) {
    if (!read.IsMap())
      Fail(read, "read: is a map (delimiter, encoding, decimal_separator, date_format)");
    for (const auto& entry : read) {
      auto key = entry.first.as<std::string>();
      auto value = entry.second.as<std::string>();
      if (key == "delimiter") {
        if (value == "\\t" || value == "tab") value = "\t";
        if (value.size() != 1 || value == "\"" || value == "\n")
          Fail(entry.second, "delimiter is one character, such as \",\" \";\" or \"\\t\"");
        mapping_.read_.delimiter = value[0];
      } else if (key == "encoding") {
        auto encoding = ParseEncoding(value);
        if (!encoding)
          Fail(entry.second,
               "unknown encoding " + Quoted(value) + " (utf-8, latin1, windows-1252)");
        mapping_.read_.encoding = *encoding;
      } else if (key == "decimal_separator") {
        decimal_separator_ = DecimalSeparator(entry.second);
      } else if (key == "date_format") {
        date_order_ = DateFormat(entry.second);
      } else {
        Fail(entry.first, "unknown key " + Quoted(key) +
                              " in read: (delimiter, encoding, decimal_separator, date_format)");
      }
    }
  }

  char DecimalSeparator(const YAML::Node& node) const {
    auto value = node.as<std::string>();
    if (value != "." && value != ",") Fail(node, "decimal_separator is \".\" or \",\"");
    return value[0];
  }

  DateOrder DateFormat(const YAML::Node& node) const {
    auto order = ParseDateOrder(node.as<std::string>());
    if (!order)
      Fail(node, "unknown date_format " + Quoted(node.as<std::string>()) +
                     " (iso, DD.MM.YYYY, DD/MM/YYYY, MM/DD/YYYY)");
    return *order;
  }

  size_t Column(const YAML::Node& node, bool optional = false) {
    auto name = node.as<std::string>();
    if (Trim(name).empty()) Fail(node, "empty column name");
    for (size_t i = 0; i < mapping_.columns_.size(); ++i) {
      if (mapping_.columns_[i] == name) {
        mapping_.column_optional_[i] = mapping_.column_optional_[i] && optional;
        return i;
      }
    }
    mapping_.columns_.push_back(name);
    mapping_.column_lines_.push_back(node.Mark().line + 1);
    mapping_.column_optional_.push_back(optional);
    return mapping_.columns_.size() - 1;
  }

  // A column name, or a map {column:|value:, type:, ...}.
  // `key_node`: the rule's key, which errors about the rule as a whole name.
  Mapping::Rule ParseRule(const YAML::Node& key_node, const YAML::Node& node, Type default_type,
                          bool column_only) {
    Mapping::Rule rule;
    rule.line = node.Mark().line + 1;
    rule.type = default_type;
    rule.decimal_separator = decimal_separator_;
    rule.date_order = date_order_;
    if (node.IsScalar()) {
      rule.column = Column(node);
      return rule;
    }
    if (!node.IsMap()) Fail(node, "expected a column name or a map with column: or value:");
    const bool optional = node["optional"] && node["optional"].as<bool>();
    std::set<std::string> seen;
    value_lines_.clear();
    for (const auto& entry : node) {
      const auto key = entry.first.as<std::string>();
      if (!seen.insert(key).second) Fail(entry.first, "key " + Quoted(key) + " given twice");
      const auto& value = entry.second;
      if (key == "column") {
        rule.column = Column(value, optional);
      } else if (key == "optional") {
      } else if (key == "value") {
        if (column_only) Fail(entry.first, "this value comes from a column, not a constant");
        rule.constant = value.as<std::string>();
      } else if (key == "type") {
        auto type = TypeNames().find(value.as<std::string>());
        if (type == TypeNames().end())
          Fail(value, "unknown type " + Quoted(value.as<std::string>()) +
                          " (text, email, integer, money, date, timestamp, boolean, enum, list)");
        rule.type = type->second;
      } else if (key == "required") {
        rule.required = value.as<bool>();
      } else if (key == "values") {
        // A map of source spellings to Accord's, or (skip_when) a list.
        if (value.IsSequence()) {
          for (const auto& item : value) rule.values[AsciiLower(Trim(item.as<std::string>()))] = "";
        } else if (value.IsMap()) {
          for (const auto& spelling : value) {
            const auto source = AsciiLower(Trim(spelling.first.as<std::string>()));
            rule.values[source] = spelling.second.as<std::string>();
            value_lines_[source] = spelling.first.Mark().line + 1;
          }
        } else {
          Fail(value, "values: maps the source's spellings to Accord's");
        }
      } else if (key == "format") {
        rule.date_order = DateFormat(value);
      } else if (key == "decimal_separator") {
        rule.decimal_separator = DecimalSeparator(value);
      } else if (key == "currency") {
        rule.currency = value.as<std::string>();
        if (rule.currency.size() != 3) Fail(value, "currency is an ISO 4217 code such as EUR");
      } else if (key == "currency_column") {
        rule.currency_column = Column(value, optional);
      } else if (key == "separator") {
        rule.list_separator = value.as<std::string>();
        if (rule.list_separator.empty()) Fail(value, "empty list separator");
      } else if (key == "prefix") {
        rule.item_prefix = value.as<std::string>();
      } else {
        Fail(entry.first, "unknown key " + Quoted(key) +
                              " (column, optional, value, type, required, values, format, "
                              "decimal_separator, currency, currency_column, separator, prefix)");
      }
    }
    if (!rule.column && rule.constant.empty()) Fail(key_node, "needs column: or value:");
    if (rule.column && !rule.constant.empty())
      Fail(key_node, "column: and value: exclude each other");
    return rule;
  }

  void ParseFields(const YAML::Node& fields) {
    if (!fields.IsMap()) Fail(fields, "fields: maps payload fields to columns");
    const auto* payload = mapping_.payload_->message_type();
    std::set<std::string> seen;
    for (const auto& entry : fields) {
      const auto name = entry.first.as<std::string>();
      if (!seen.insert(name).second) Fail(entry.first, "field " + Quoted(name) + " given twice");
      const auto* field = payload->FindFieldByName(name);
      if (!field) {
        std::string known;
        for (int i = 0; i < payload->field_count(); ++i)
          known += (known.empty() ? "" : ", ") + payload->field(i)->name();
        Fail(entry.first, "no field " + Quoted(name) + " in " + mapping_.payload_->name() +
                              " (fields: " + known + ")");
      }
      const auto types = TypesFor(*field);
      if (types.empty()) Fail(entry.first, "field " + Quoted(name) + " cannot be mapped from text");
      // An e-mail field is checked and normalised unless told otherwise.
      auto rule = ParseRule(entry.first, entry.second,
                            name == "email" ? Type::kEmail : types.front(), false);
      if (std::find(types.begin(), types.end(), rule.type) == types.end())
        Fail(entry.first, "type does not fit field " + Quoted(name));
      rule.field = field;
      CheckValues(entry.second, rule);
      mapping_.fields_.push_back(std::move(rule));
    }
  }

  // Every target spelling in values: must be one the field accepts.
  void CheckValues(const YAML::Node& node, const Mapping::Rule& rule) const {
    for (const auto& [spelling, target] : rule.values) {
      bool valid = rule.type == Type::kEnum
                       ? FindEnumValue(*rule.field->enum_type(), AsciiLower(target)) != nullptr
                   : rule.type == Type::kBoolean ? ParseBoolean(target).has_value()
                                                 : true;
      if (!valid) {
        std::string accepted =
            rule.type == Type::kEnum ? EnumSpellings(*rule.field->enum_type()) : "true, false";
        throw MappingError(mapping_.name_ + ":" +
                           std::to_string(value_lines_.count(spelling) ? value_lines_.at(spelling)
                                                                       : node.Mark().line + 1) +
                           ": " + Quoted(spelling) + " maps to " + Quoted(target) +
                           ", which is not one of " + accepted);
      }
    }
  }

  void ParseCustomer(const YAML::Node& root, const std::string& payload) {
    if (auto customer = root["customer"]) {
      if (!customer.IsMap()) Fail(customer, "customer: has email: and/or record:");
      for (const auto& entry : customer) {
        auto key = entry.first.as<std::string>();
        if (key == "email") {
          mapping_.customer_email_ = ParseRule(entry.first, entry.second, Type::kEmail, true);
        } else if (key == "record") {
          mapping_.customer_record_ = ParseRule(entry.first, entry.second, Type::kText, true);
        } else {
          Fail(entry.first, "unknown key " + Quoted(key) + " in customer: (email, record)");
        }
      }
      if (!NamesCustomer(payload))
        Fail(Key("customer"), payload + " events belong to no customer; remove customer:");
      return;
    }
    if (payload != "customer_upserted" && NamesCustomer(payload))
      Fail(root, "missing customer: (email: or record:), which tells whose event it is");
  }

  Mapping& mapping_;
  char decimal_separator_ = '.';
  DateOrder date_order_ = DateOrder::kIso;
  // Line of each source spelling of the rule being parsed (values:).
  std::map<std::string, int> value_lines_;
  std::map<std::string, YAML::Node> keys_;
};

Mapping Mapping::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw MappingError(path + ": cannot read the mapping file");
  std::stringstream text;
  text << in.rdbuf();
  return Parse(text.str(), path);
}

Mapping Mapping::Parse(std::string_view yaml, const std::string& name) {
  Mapping mapping;
  mapping.name_ = name;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    throw MappingError(name + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  try {
    MappingParser(mapping).Parse(root);
  } catch (const YAML::Exception& e) {
    // A scalar where a map belongs, a list where text belongs, and so on.
    throw MappingError(name + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  return mapping;
}

events::Topic Mapping::topic() const {
  return events::FindPayloadKind(payload_->name())->topic;
}

std::optional<std::string> Mapping::Spelling(std::string_view field,
                                             std::string_view source) const {
  for (const auto& rule : fields_) {
    if (rule.field == nullptr || rule.field->name() != field) continue;
    auto it = rule.values.find(AsciiLower(Trim(source)));
    if (it != rule.values.end() && !it->second.empty()) return it->second;
  }
  return std::nullopt;
}

bool Mapping::NamesCustomer() const {
  return accord::connectors::NamesCustomer(payload_->name());
}

std::vector<size_t> Mapping::BindHeader(const std::vector<std::string>& header) const {
  std::map<std::string, size_t> positions;
  for (size_t i = 0; i < header.size(); ++i) positions.emplace(AsciiLower(Trim(header[i])), i);
  std::vector<size_t> bound;
  for (size_t i = 0; i < columns_.size(); ++i) {
    auto it = positions.find(AsciiLower(Trim(columns_[i])));
    if (it == positions.end() && column_optional_[i]) {
      bound.push_back(kAbsent);
      continue;
    }
    if (it == positions.end()) {
      std::string present;
      for (const auto& name : header) present += (present.empty() ? "" : ", ") + Quoted(name);
      throw MappingError(name_ + ":" + std::to_string(column_lines_[i]) + ": column " +
                         Quoted(columns_[i]) + " is not in the file's header (" + present + ")");
    }
    bound.push_back(it->second);
  }
  return bound;
}

std::optional<std::string> Mapping::Text(const Rule& rule, const Values& values) const {
  if (!rule.column) return rule.constant;
  const auto& value = values[*rule.column];
  if (!value) return std::nullopt;
  std::string text = Trim(*value);
  if (text.empty()) return std::nullopt;
  return text;
}

bool Mapping::SetField(v1::Event& event, const Rule& rule, const Values& values,
                       Result& result) const {
  auto text = Text(rule, values);
  const std::string column = rule.column ? columns_[*rule.column] : rule.field->name();
  if (!text) {
    if (!rule.required) return true;
    result.column = column;
    result.reason = "empty, but " + rule.field->name() + " is required";
    return false;
  }
  auto fail = [&](const std::string& expected) {
    result.column = column;
    result.reason = "not " + expected + ": " + Quoted(*text);
    return false;
  };
  if (auto alias = rule.values.find(AsciiLower(*text)); alias != rule.values.end())
    text = alias->second;
  auto* payload = event.GetReflection()->MutableMessage(&event, payload_);
  const auto* reflection = payload->GetReflection();
  const auto* field = rule.field;
  switch (rule.type) {
    case Type::kText:
      reflection->SetString(payload, field, *text);
      return true;
    case Type::kEmail: {
      auto email = events::NormaliseEmail(*text);
      if (!email) return fail("an e-mail address");
      reflection->SetString(payload, field, *email);
      return true;
    }
    case Type::kDate: {
      auto date = ParseDate(*text, rule.date_order);
      if (!date) return fail("a date");
      reflection->SetString(payload, field, *date);
      return true;
    }
    case Type::kTimestamp: {
      auto ms = ParseTimestampMs(*text, rule.date_order);
      if (!ms) return fail("a date and time");
      reflection->SetString(payload, field, FormatIsoTimestampMs(*ms));
      return true;
    }
    case Type::kInteger: {
      auto number = ParseInteger(*text);
      if (!number) return fail("a whole number");
      switch (field->cpp_type()) {
        case pb::FieldDescriptor::CPPTYPE_INT32:
          if (*number < INT32_MIN || *number > INT32_MAX) return fail("a number in range");
          reflection->SetInt32(payload, field, static_cast<int32_t>(*number));
          return true;
        case pb::FieldDescriptor::CPPTYPE_UINT32:
          if (*number < 0 || *number > UINT32_MAX) return fail("a number in range");
          reflection->SetUInt32(payload, field, static_cast<uint32_t>(*number));
          return true;
        case pb::FieldDescriptor::CPPTYPE_UINT64:
          if (*number < 0) return fail("a positive number");
          reflection->SetUInt64(payload, field, static_cast<uint64_t>(*number));
          return true;
        default:
          reflection->SetInt64(payload, field, *number);
          return true;
      }
    }
    case Type::kBoolean: {
      auto flag = ParseBoolean(*text);
      if (!flag) return fail("yes or no");
      reflection->SetBool(payload, field, *flag);
      return true;
    }
    case Type::kEnum: {
      const auto* value = FindEnumValue(*field->enum_type(), AsciiLower(*text));
      if (!value) return fail("one of " + EnumSpellings(*field->enum_type()));
      reflection->SetEnum(payload, field, value);
      return true;
    }
    case Type::kMoney: {
      auto minor = ParseMinorUnits(*text, rule.decimal_separator);
      if (!minor)
        return fail(rule.decimal_separator == ',' ? "an amount like 12.500,00"
                                                  : "an amount like 12,500.00");
      std::string currency = rule.currency;
      if (rule.currency_column) {
        if (const auto& code = values[*rule.currency_column]; code && !Trim(*code).empty())
          currency = Trim(*code);
      }
      auto* money = reflection->MutableMessage(payload, field);
      auto* v1_money = pb::DynamicCastToGenerated<v1::Money>(money);
      v1_money->set_minor_units(*minor);
      v1_money->set_currency(currency);
      return true;
    }
    case Type::kList: {
      std::string_view rest = *text;
      while (!rest.empty()) {
        size_t end = rest.find(rule.list_separator);
        std::string item = Trim(rest.substr(0, end));
        rest = end == std::string_view::npos ? "" : rest.substr(end + rule.list_separator.size());
        if (!item.empty()) reflection->AddString(payload, field, rule.item_prefix + item);
      }
      return true;
    }
  }
  return true;
}

Mapping::Result Mapping::Map(const Values& values, int64_t default_occurred_at_ms,
                             int64_t ingested_at_ms) const {
  Result result;
  auto reject = [&](const Rule& rule, const std::string& fallback_column, std::string reason) {
    result.column = rule.column ? columns_[*rule.column] : fallback_column;
    result.reason = std::move(reason);
    return result;
  };
  for (size_t i = 0; i < values.size(); ++i)
    if (values[i])
      if (auto nul = NulByteReason(*values[i]); !nul.empty()) {
        result.column = columns_[i];
        result.reason = std::move(nul);
        return result;
      }
  if (skip_when_) {
    auto marker = Text(*skip_when_, values);
    if (marker && skip_when_->values.count(AsciiLower(*marker))) {
      result.own_write = true;
      return result;
    }
  }
  const std::string system = AsciiLower(Text(source_system_, values).value_or(""));
  if (events::IsJunkIdentifier(system) || !events::IsValidSystemName(system))
    return reject(source_system_, "source_system",
                  "not a system name (letters, digits, '.', '_', '-'): " + Quoted(system));
  const std::string record_id = Text(record_id_, values).value_or("");
  if (events::IsJunkIdentifier(record_id))
    return reject(record_id_, "record_id", "missing or placeholder id " + Quoted(record_id));

  int64_t occurred_at_ms = default_occurred_at_ms;
  if (occurred_at_) {
    auto text = Text(*occurred_at_, values).value_or("");
    auto ms = ParseTimestampMs(text, occurred_at_->date_order);
    if (!ms) return reject(*occurred_at_, "occurred_at", "not a date and time: " + Quoted(text));
    occurred_at_ms = *ms;
  }
  if (occurred_at_ms <= 0)
    return reject(occurred_at_ ? *occurred_at_ : record_id_, "occurred_at",
                  "before 1970-01-01T00:00:00Z");

  v1::Event event;
  auto* payload = event.GetReflection()->MutableMessage(&event, payload_);
  for (const auto& rule : fields_)
    if (!SetField(event, rule, values, result)) return result;
  // The payload's own id is the record's unless mapped otherwise.
  if (const auto own = events::FindPayloadKind(event)->own_id; !own.empty()) {
    const auto* id_field = payload->GetDescriptor()->FindFieldByName(std::string(own));
    if (payload->GetReflection()->GetString(*payload, id_field).empty())
      payload->GetReflection()->SetString(payload, id_field, record_id);
  }

  uint64_t version = static_cast<uint64_t>(occurred_at_ms);
  if (version_) {
    auto text = Text(*version_, values).value_or("");
    auto number = version_->type == Type::kTimestamp ? ParseTimestampMs(text, version_->date_order)
                                                     : ParseInteger(text);
    if (!number || *number <= 0)
      return reject(*version_, "version",
                    (version_->type == Type::kTimestamp ? "not a date and time: "
                                                        : "not a positive whole number: ") +
                        Quoted(text));
    version = static_cast<uint64_t>(*number);
  }

  std::optional<std::string> customer_key;
  if (customer_email_) {
    if (auto email = Text(*customer_email_, values)) {
      customer_key = events::EmailIdentityKey(*email);
      if (!customer_key && !customer_record_)
        return reject(*customer_email_, "customer", "not an e-mail address: " + Quoted(*email));
    }
  }
  if (!customer_key && customer_record_) {
    if (auto id = Text(*customer_record_, values))
      customer_key = events::SourceIdentityKey(system, *id);
  }
  if (!customer_key && !customer_email_ && !customer_record_ && event.has_customer_upserted()) {
    // A placeholder address (noreply@...) names nobody: the record does.
    if (event.customer_upserted().has_email())
      customer_key = events::EmailIdentityKey(event.customer_upserted().email());
    if (!customer_key) customer_key = events::SourceIdentityKey(system, record_id);
  }
  if (!customer_key && customer_email_ && !customer_record_ && !Text(*customer_email_, values))
    return reject(*customer_email_, "customer", "empty, but it names the customer");
  if (!customer_key && NamesCustomer())
    return reject(customer_email_    ? *customer_email_
                  : customer_record_ ? *customer_record_
                                     : record_id_,
                  "customer", "no usable e-mail address or record id names the customer");
  if (customer_key) event.set_customer_key(*customer_key);

  events::StampEnvelope(event, {system, record_id, version, occurred_at_ms});
  if (!version_) {
    // No version column: the content itself tells changes apart, so the
    // same row imported again keeps its id and an edited one gets a new id.
    std::string content;
    pb::io::StringOutputStream stream(&content);
    pb::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    payload->SerializeToCodedStream(&coded);
    coded.Trim();
    content += '\0' + event.customer_key();
    // The time is part of the id only when the record states it: a file's
    // modification time would make a copied file look new.
    event.set_event_id(events::MakeEventId(system, record_id + "#" + HexDigest(content),
                                           occurred_at_ ? version : 0, events::PayloadKind(event)));
    event.set_correlation_id(event.event_id());
  }
  event.set_ingested_at_ms(ingested_at_ms);
  if (auto invalid = events::ValidateEvent(event); !invalid.empty()) {
    result.reason = invalid;
    return result;
  }
  result.event = std::move(event);
  return result;
}

}  // namespace accord::connectors
