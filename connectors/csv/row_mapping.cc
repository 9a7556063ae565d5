#include "connectors/csv/row_mapping.h"

#include <algorithm>

#include "core/events/envelope.h"
#include "core/events/identity.h"
#include "core/util/time.h"

namespace accord::connectors::csv {
namespace {

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

std::string Lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

const std::vector<std::string>& RequiredColumns(Kind kind) {
  static const std::vector<std::string> contacts = {"source_system", "record_id", "version",
                                                    "updated_at"};
  static const std::vector<std::string> campaigns = {"source_system", "campaign_id", "version",
                                                     "updated_at", "name"};
  static const std::vector<std::string> deals = {"source_system", "deal_id",       "version",
                                                 "updated_at",    "contact_email", "stage"};
  switch (kind) {
    case Kind::kContacts:
      return contacts;
    case Kind::kCampaigns:
      return campaigns;
    case Kind::kDeals:
      return deals;
  }
  return contacts;
}

// Source systems' spellings of the stages beyond Accord's own names.
std::optional<v1::LifecycleStage> ParseLifecycle(const std::string& text) {
  static const std::map<std::string, v1::LifecycleStage> kAliases = {
      {"marketingqualifiedlead", v1::LIFECYCLE_STAGE_MQL},
      {"salesqualifiedlead", v1::LIFECYCLE_STAGE_SQL}};
  std::string name = Lower(text);
  if (auto it = kAliases.find(name); it != kAliases.end()) return it->second;
  return events::ParseLifecycleStage(name);
}

// Protobuf strings must be UTF-8: a row in another encoding would become an
// event no consumer can read, so it is refused here with a reason instead.
bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    size_t length = c < 0x80           ? 1
                    : (c >> 5) == 0x6  ? 2
                    : (c >> 4) == 0xe  ? 3
                    : (c >> 3) == 0x1e ? 4
                                       : 0;
    if (length == 0 || i + length > text.size()) return false;
    uint32_t code = length == 1 ? c : c & (0x7f >> length);
    for (size_t k = 1; k < length; ++k) {
      unsigned char next = static_cast<unsigned char>(text[i + k]);
      if ((next >> 6) != 0x2) return false;
      code = (code << 6) | (next & 0x3f);
    }
    static constexpr uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kMinimum[length] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
      return false;
    i += length;
  }
  return true;
}

}  // namespace

std::optional<int64_t> ParseMinorUnits(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  bool negative = text.front() == '-';
  if (negative) text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  int64_t units = 0;
  int fraction_digits = -1;
  for (char c : text) {
    if (c == '.' && fraction_digits < 0) {
      fraction_digits = 0;
      continue;
    }
    if (c < '0' || c > '9' || fraction_digits == 2) return std::nullopt;
    units = units * 10 + (c - '0');
    if (fraction_digits >= 0) ++fraction_digits;
  }
  if (fraction_digits == 0 || text.front() == '.') return std::nullopt;
  for (int i = std::max(fraction_digits, 0); i < 2; ++i)
    if (__builtin_mul_overflow(units, 10, &units)) return std::nullopt;
  return negative ? -units : units;
}

RowMapper::RowMapper(Kind kind, const std::vector<std::string>& header)
    : kind_(kind), width_(header.size()), header_(header) {
  for (size_t i = 0; i < header.size(); ++i) columns_[Lower(Trim(header[i]))] = i;
  std::vector<std::string> missing;
  for (const auto& column : RequiredColumns(kind))
    if (!columns_.count(column)) missing.push_back(column);
  if (!missing.empty()) {
    std::string list;
    for (const auto& column : missing) list += (list.empty() ? "" : ", ") + column;
    throw LayoutError("header lacks required column(s): " + list);
  }
}

const std::string* RowMapper::Cell(const Record& row, const char* column) const {
  auto it = columns_.find(column);
  if (it == columns_.end()) return nullptr;
  return &row.fields[it->second];
}

bool RowMapper::ParseSource(const Record& row, const std::string& record_column,
                            events::SourceChange& change, Rejection& rejection) const {
  std::string system = Lower(Trim(*Cell(row, "source_system")));
  std::string record_id = Trim(*Cell(row, record_column.c_str()));
  if (events::IsJunkIdentifier(system)) {
    rejection = {"source_system", system.empty() ? "empty" : "placeholder \"" + system + "\""};
    return false;
  }
  if (!events::IsValidSystemName(system)) {
    rejection = {"source_system",
                 "\"" + system + "\" is not a system name (letters, digits, '.', '_', '-')"};
    return false;
  }
  if (events::IsJunkIdentifier(record_id)) {
    rejection = {record_column, "missing or placeholder id \"" + record_id + "\""};
    return false;
  }
  const std::string version_text = Trim(*Cell(row, "version"));
  uint64_t version = 0;
  bool version_ok = !version_text.empty() && version_text.size() <= 18 &&
                    std::all_of(version_text.begin(), version_text.end(),
                                [](char c) { return c >= '0' && c <= '9'; });
  if (version_ok) version = std::stoull(version_text);
  if (!version_ok || version == 0) {
    rejection = {"version", "not a positive whole number: \"" + version_text + "\""};
    return false;
  }
  const std::string when = Trim(*Cell(row, "updated_at"));
  auto occurred = ParseIsoTimestampMs(when);
  if (occurred && *occurred <= 0) {
    rejection = {"updated_at", "before 1970-01-01T00:00:00Z: \"" + when + "\""};
    return false;
  }
  if (!occurred) {
    rejection = {"updated_at", "not an ISO 8601 date-time: \"" + when + "\""};
    return false;
  }
  change = {system, record_id, version, *occurred};
  return true;
}

std::optional<v1::Event> RowMapper::Map(const Record& row, int64_t ingested_at_ms,
                                        Rejection& rejection) const {
  if (row.fields.size() != width_) {
    rejection = {"", "expected " + std::to_string(width_) + " columns, found " +
                         std::to_string(row.fields.size())};
    return std::nullopt;
  }
  for (size_t i = 0; i < row.fields.size(); ++i) {
    if (!IsValidUtf8(row.fields[i])) {
      rejection = {header_[i], "not valid UTF-8 text (is the file in another encoding?)"};
      return std::nullopt;
    }
  }
  events::SourceChange change;
  std::optional<v1::Event> event;
  switch (kind_) {
    case Kind::kContacts:
      event = MapContact(row, change, rejection);
      break;
    case Kind::kCampaigns:
      event = MapCampaign(row, change, rejection);
      break;
    case Kind::kDeals:
      event = MapDeal(row, change, rejection);
      break;
  }
  if (!event) return std::nullopt;
  events::StampEnvelope(*event, change);
  event->set_ingested_at_ms(ingested_at_ms);
  return event;
}

std::optional<v1::Event> RowMapper::MapContact(const Record& row, events::SourceChange& change,
                                               Rejection& rejection) const {
  v1::Event event;
  if (!ParseSource(row, "record_id", change, rejection)) return std::nullopt;
  auto* upsert = event.mutable_customer_upserted();
  std::optional<std::string> email_key;
  if (const auto* email = Cell(row, "email"); email && !Trim(*email).empty()) {
    auto normalised = events::NormaliseEmail(*email);
    if (!normalised) {
      rejection = {"email", "not an e-mail address: \"" + Trim(*email) + "\""};
      return std::nullopt;
    }
    upsert->set_email(*normalised);
    email_key = events::EmailIdentityKey(*normalised);
  }
  auto copy = [&](const char* column, void (v1::CustomerUpserted::*set)(const std::string&)) {
    if (const auto* cell = Cell(row, column); cell && !Trim(*cell).empty())
      (upsert->*set)(Trim(*cell));
  };
  copy("first_name", &v1::CustomerUpserted::set_first_name);
  copy("last_name", &v1::CustomerUpserted::set_last_name);
  copy("company", &v1::CustomerUpserted::set_company);
  copy("job_title", &v1::CustomerUpserted::set_job_title);
  copy("phone", &v1::CustomerUpserted::set_phone);
  copy("city", &v1::CustomerUpserted::set_city);
  copy("country", &v1::CustomerUpserted::set_country);
  if (const auto* stage = Cell(row, "lifecycle_stage"); stage && !Trim(*stage).empty()) {
    auto parsed = ParseLifecycle(Trim(*stage));
    if (!parsed) {
      rejection = {"lifecycle_stage", "unknown stage \"" + Trim(*stage) + "\""};
      return std::nullopt;
    }
    upsert->set_lifecycle_stage(*parsed);
  }
  auto source_key = events::SourceIdentityKey(change.system, change.record_id);
  event.set_customer_key(email_key ? *email_key : *source_key);
  return event;
}

std::optional<v1::Event> RowMapper::MapCampaign(const Record& row, events::SourceChange& change,
                                                Rejection& rejection) const {
  v1::Event event;
  if (!ParseSource(row, "campaign_id", change, rejection)) return std::nullopt;
  auto* campaign = event.mutable_campaign_upserted();
  campaign->set_campaign_id(change.record_id);
  campaign->set_name(Trim(*Cell(row, "name")));
  if (const auto* channel = Cell(row, "channel")) campaign->set_channel(Lower(Trim(*channel)));
  if (const auto* start = Cell(row, "start_date"); start && !Trim(*start).empty()) {
    if (Trim(*start).size() != 10 || !ParseIsoTimestampMs(Trim(*start))) {
      rejection = {"start_date", "not an ISO date (YYYY-MM-DD): \"" + Trim(*start) + "\""};
      return std::nullopt;
    }
    campaign->set_start_date(Trim(*start));
  }
  if (const auto* budget = Cell(row, "budget"); budget && !Trim(*budget).empty()) {
    auto minor = ParseMinorUnits(Trim(*budget));
    if (!minor) {
      rejection = {"budget", "not an amount like 12500.00: \"" + Trim(*budget) + "\""};
      return std::nullopt;
    }
    campaign->mutable_budget()->set_minor_units(*minor);
    campaign->mutable_budget()->set_currency("EUR");
  }
  return event;
}

std::optional<v1::Event> RowMapper::MapDeal(const Record& row, events::SourceChange& change,
                                            Rejection& rejection) const {
  v1::Event event;
  if (!ParseSource(row, "deal_id", change, rejection)) return std::nullopt;
  auto email_key = events::EmailIdentityKey(*Cell(row, "contact_email"));
  if (!email_key) {
    rejection = {"contact_email",
                 "not a usable e-mail address: \"" + Trim(*Cell(row, "contact_email")) + "\""};
    return std::nullopt;
  }
  event.set_customer_key(*email_key);
  auto* deal = event.mutable_deal_upserted();
  deal->set_deal_id(change.record_id);
  if (const auto* name = Cell(row, "name")) deal->set_name(Trim(*name));
  auto stage = events::ParseDealStage(Lower(Trim(*Cell(row, "stage"))));
  if (!stage) {
    rejection = {"stage", "unknown deal stage \"" + Trim(*Cell(row, "stage")) + "\""};
    return std::nullopt;
  }
  deal->set_stage(*stage);
  if (const auto* amount = Cell(row, "amount"); amount && !Trim(*amount).empty()) {
    auto minor = ParseMinorUnits(Trim(*amount));
    if (!minor) {
      rejection = {"amount", "not an amount like 12500.00: \"" + Trim(*amount) + "\""};
      return std::nullopt;
    }
    deal->mutable_amount()->set_minor_units(*minor);
    const auto* currency = Cell(row, "currency");
    deal->mutable_amount()->set_currency(currency && !Trim(*currency).empty() ? Trim(*currency)
                                                                              : "EUR");
  }
  if (const auto* campaign = Cell(row, "campaign_id")) deal->set_campaign_id(Trim(*campaign));
  return event;
}

}  // namespace accord::connectors::csv
