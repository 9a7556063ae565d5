#include "connectors/webhook/accord_format.h"

#include <algorithm>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

#include "connectors/mapping/builtin_mappings.h"
#include "connectors/mapping/convert.h"
#include "connectors/mapping/mapping.h"
#include "domain/events/echo.h"
#include "domain/events/envelope.h"
#include "domain/events/identity.h"
#include "domain/util/hash.h"

namespace accord::connectors::webhook {
namespace {

using Json = nlohmann::json;

// Thrown inside the mapping, caught once at its top: the first refused field
// refuses the body.
struct RefusedItem {
  Refusal refusal;
};

[[noreturn]] void Refuse(size_t item, std::string field, std::string reason) {
  throw RefusedItem{{item, std::move(field), std::move(reason)}};
}

std::string Quoted(std::string_view text) {
  constexpr size_t kShown = 80;
  return "\"" + std::string(text.substr(0, kShown)) + (text.size() > kShown ? "...\"" : "\"");
}

std::string TypeOf(const Json& value) {
  return value.is_null() ? "null" : value.type_name();
}

const Json* Member(const Json& object, const char* name) {
  auto it = object.find(name);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

// An identifier as senders write them: a JSON string or a whole number.
std::optional<std::string> IdValue(const Json* value, size_t index, const std::string& field) {
  if (!value) return std::nullopt;
  std::string text;
  if (value->is_string())
    text = Trim(value->get<std::string>());
  else if (value->is_number_integer())
    text = value->dump();
  else
    Refuse(index, field, "must be a string or a whole number, not " + TypeOf(*value));
  if (text.empty()) Refuse(index, field, "is empty");
  return text;
}

std::optional<std::string> IdText(const Json& item, size_t index, const char* field) {
  return IdValue(Member(item, field), index, field);
}

std::string RequiredId(const Json& item, size_t index, const char* field) {
  auto text = IdText(item, index, field);
  if (!text) Refuse(index, field, "missing");
  return *text;
}

// A record id that can name a customer ("src:<system>:<id>"), so that no
// placeholder ("0", "null", ...) merges strangers.
std::string RecordId(const Json* value, size_t index, const std::string& field,
                     std::string_view system) {
  auto id = IdValue(value, index, field);
  if (!id) Refuse(index, field, "missing");
  if (!events::SourceIdentityKey(system, *id))
    Refuse(index, field, "placeholder id " + Quoted(*id) + " names no record");
  return *id;
}

// Milliseconds since the epoch. Seconds are a common mistake, and would
// place the change in 1970: anything before 1973 (or after 9999) is refused.
int64_t EpochMs(const Json& item, size_t index, const char* field) {
  const Json* value = Member(item, field);
  if (!value) Refuse(index, field, "missing (milliseconds since the epoch)");
  if (!value->is_number_integer())
    Refuse(index, field,
           "must be a whole number of milliseconds since the epoch, not " + TypeOf(*value));
  constexpr int64_t kEarliestMs = 100'000'000'000, kLatestMs = 253'402'300'799'999;
  if (value->is_number_unsigned() ? value->get<uint64_t>() > uint64_t{kLatestMs}
                                  : value->get<int64_t>() > kLatestMs)
    Refuse(index, field, value->dump() + " is after the year 9999");
  const int64_t ms = value->get<int64_t>();
  if (ms < kEarliestMs)
    Refuse(index, field,
           std::to_string(ms) + " is not milliseconds since the epoch (seconds, perhaps?)");
  return ms;
}

std::optional<std::string> OptionalText(const Json& item, size_t index, const char* field) {
  const Json* value = Member(item, field);
  if (!value) return std::nullopt;
  if (!value->is_string()) Refuse(index, field, "must be a string, not " + TypeOf(*value));
  return Trim(value->get<std::string>());
}

// A property value: text, a number or a boolean as its JSON text; null is
// blank.
std::string PropertyText(const Json& value, size_t index, const std::string& field) {
  if (value.is_string()) return Trim(value.get<std::string>());
  if (value.is_null()) return "";
  if (value.is_number() || value.is_boolean()) return value.dump();
  Refuse(index, field, "must be text, a number or a boolean, not " + TypeOf(value));
}

// A property's value and where it came from, for refusals.
struct Property {
  std::string value;
  size_t item = 0;
  std::string field;
};
using Properties = std::map<std::string, Property>;

// `properties` (an object of values) of item `index`, then its
// propertyName/propertyValue pair: the notification's own change wins.
void ReadProperties(const Json& item, size_t index, bool change, Properties& properties) {
  if (const Json* object = Member(item, "properties")) {
    if (!object->is_object())
      Refuse(index, "properties", "must be an object, not " + TypeOf(*object));
    for (const auto& [name, value] : object->items()) {
      std::string field = "properties." + name;
      properties[AsciiLower(name)] = {PropertyText(value, index, field), index, field};
    }
  }
  if (!change) return;
  auto name = OptionalText(item, index, "propertyName");
  if (!name || name->empty()) Refuse(index, "propertyName", "missing");
  const Json* value = Member(item, "propertyValue");
  properties[AsciiLower(*name)] = {value ? PropertyText(*value, index, "propertyValue") : "", index,
                                   "propertyValue"};
}

// Refuses an item with a NUL byte in any name or text (NulByteReason), named
// by its dotted path ("properties.firstname").
void RefuseNulBytes(const Json& value, size_t index, const std::string& path) {
  auto inner = [&](const std::string& name) { return path.empty() ? name : path + "." + name; };
  if (value.is_string()) {
    if (auto nul = NulByteReason(value.get_ref<const std::string&>()); !nul.empty())
      Refuse(index, path, nul);
  } else if (value.is_object()) {
    for (const auto& [name, member] : value.items()) {
      if (auto nul = NulByteReason(name); !nul.empty()) Refuse(index, inner(name), "name " + nul);
      RefuseNulBytes(member, index, inner(name));
    }
  } else if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i)
      RefuseNulBytes(value[i], index, inner(std::to_string(i)));
  }
}

using TextSetter = void (v1::CustomerUpserted::*)(const std::string&);

// The contact properties Accord keeps besides email and lifecyclestage, by
// the names marketing and CRM tools give them.
const std::map<std::string, TextSetter>& ContactTextProperties() {
  static const std::map<std::string, TextSetter> kProperties = {
      {"firstname", &v1::CustomerUpserted::set_first_name},
      {"lastname", &v1::CustomerUpserted::set_last_name},
      {"company", &v1::CustomerUpserted::set_company},
      {"jobtitle", &v1::CustomerUpserted::set_job_title},
      {"phone", &v1::CustomerUpserted::set_phone},
      {"city", &v1::CustomerUpserted::set_city},
      {"country", &v1::CustomerUpserted::set_country}};
  return kProperties;
}

bool IsContactProperty(const std::string& name) {
  return name == "email" || name == "lifecyclestage" || ContactTextProperties().count(name);
}

using AccountSetter = void (v1::AccountUpserted::*)(const std::string&);

// The company properties Accord keeps besides the size and revenue numbers.
const std::map<std::string, AccountSetter>& CompanyTextProperties() {
  static const std::map<std::string, AccountSetter> kProperties = {
      {"name", &v1::AccountUpserted::set_name},
      {"domain", &v1::AccountUpserted::set_domain},
      {"industry", &v1::AccountUpserted::set_industry},
      {"country", &v1::AccountUpserted::set_country},
      {"city", &v1::AccountUpserted::set_city}};
  return kProperties;
}

bool IsCompanyProperty(const std::string& name) {
  return name == "numberofemployees" || name == "annualrevenue" ||
         CompanyTextProperties().count(name);
}

bool IsDealProperty(const std::string& name) {
  return name == "dealname" || name == "dealstage" || name == "amount" ||
         name == "deal_currency_code" || name == "closed_lost_reason";
}

// Lifecycle stages and a default sales pipeline's deal stages as the tools
// spell them, beyond Accord's own names: read as the built-in mappings of
// the same tool's exports read them, so both connectors agree.
std::optional<v1::LifecycleStage> ParseLifecycle(const std::string& text) {
  static const Mapping contacts = LoadMapping("hubspot-contacts");
  return events::ParseLifecycleStage(
      contacts.Spelling("lifecycle_stage", text).value_or(AsciiLower(text)));
}

std::optional<v1::DealStage> ParseDeal(const std::string& text) {
  static const Mapping deals = LoadMapping("hubspot-deals");
  return events::ParseDealStage(deals.Spelling("stage", text).value_or(AsciiLower(text)));
}

// Fills the contact fields the properties carry; the e-mail's identity key
// when it has a usable one. Blank values clear a field, except the stage.
std::optional<std::string> FillContact(const Properties& properties, v1::CustomerUpserted& upsert) {
  std::optional<std::string> email_key;
  for (const auto& [name, property] : properties) {
    if (name == "email") {
      if (property.value.empty()) {
        upsert.set_email("");
        continue;
      }
      auto email = events::NormaliseEmail(property.value);
      if (!email)
        Refuse(property.item, property.field, "not an e-mail address: " + Quoted(property.value));
      upsert.set_email(*email);
      email_key = events::EmailIdentityKey(*email);
    } else if (name == "lifecyclestage") {
      if (property.value.empty()) continue;
      auto stage = ParseLifecycle(property.value);
      if (!stage)
        Refuse(property.item, property.field, "unknown lifecycle stage " + Quoted(property.value));
      upsert.set_lifecycle_stage(*stage);
    } else if (auto it = ContactTextProperties().find(name); it != ContactTextProperties().end()) {
      (upsert.*(it->second))(property.value);
    }
  }
  return email_key;
}

// The envelope of an event from `system`. Its id derives from the sender's
// notification ids (`id_material`): a notification sent again keeps its id,
// while notifications of one record and instant that arrive in different
// requests, with different properties, do not share one as record and
// version alone would make them.
void Stamp(v1::Event& event, const events::SourceChange& change, std::string_view id_material,
           std::string customer_key, int64_t ingested_at_ms, size_t item) {
  event.set_customer_key(std::move(customer_key));
  events::StampEnvelope(event, change);
  event.set_event_id(
      events::MakeEventId(change.system, id_material, change.version, events::PayloadKind(event)));
  event.set_correlation_id(event.event_id());
  event.set_ingested_at_ms(ingested_at_ms);
  if (auto problem = events::ValidateEvent(event); !problem.empty()) Refuse(item, "", problem);
}

enum class ObjectKind { kContact, kDeal, kCompany };

// Notifications about one object at one instant: the properties one change
// set, which tools send as one notification per property.
struct Group {
  ObjectKind kind = ObjectKind::kContact;
  std::string object_id;
  int64_t occurred_at_ms = 0;
  size_t first_item = 0;
  std::vector<std::string> event_ids;
  Properties properties;
  // Deals: the contact the deal belongs to.
  std::optional<Property> contact_email;
  std::optional<Property> contact_id;
};

class ChangesMapper {
 public:
  ChangesMapper(std::string_view system, int64_t ingested_at_ms, Mapped& out)
      : system_(system), ingested_at_ms_(ingested_at_ms), out_(out) {}

  void Item(const Json& item, size_t index) {
    if (!item.is_object()) Refuse(index, "", "not a JSON object but " + TypeOf(item));
    auto type = OptionalText(item, index, "subscriptionType");
    if (!type || type->empty())
      Refuse(index, "subscriptionType", "missing (e.g. \"contact.propertyChange\")");
    // Accord's sinks write back with their origin as the change's source.
    for (const char* marker : {"changeSource", "sourceId"}) {
      auto origin = item.find(marker);
      if (origin != item.end() && origin->is_string() &&
          events::IsAccordMarker(origin->get_ref<const std::string&>())) {
        out_.ignored.push_back(
            {index, std::string("Accord's own write-back (") + marker + " \"accord\")", true});
        return;
      }
    }
    const bool contact = type->starts_with("contact."), deal = type->starts_with("deal."),
               company = type->starts_with("company.");
    const std::string action = type->substr(type->find('.') + 1);
    if ((contact || deal || company) && (action == "creation" || action == "propertyChange")) {
      Change(item, index,
             deal      ? ObjectKind::kDeal
             : company ? ObjectKind::kCompany
                       : ObjectKind::kContact,
             action == "propertyChange");
    } else if (contact && (action == "deletion" || action == "privacyDeletion")) {
      Erasure(item, index, *type);
    } else if (contact && action == "merge") {
      Merge(item, index);
    } else {
      out_.ignored.push_back({index, "subscription type " + Quoted(*type) +
                                         " is not one Accord maps (docs/webhook.md)"});
    }
  }

  void Finish() {
    for (const auto& group : groups_) {
      switch (group.kind) {
        case ObjectKind::kContact:
          Contact(group);
          break;
        case ObjectKind::kDeal:
          Deal(group);
          break;
        case ObjectKind::kCompany:
          Company(group);
          break;
      }
    }
    // In the sender's order: a contact created, then deleted, in one batch
    // must not be folded as deleted, then created.
    std::stable_sort(placed_.begin(), placed_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [item, event] : placed_) out_.events.push_back(std::move(event));
  }

 private:
  struct Common {
    std::string event_id;
    std::string object_id;
    int64_t occurred_at_ms = 0;
  };

  Common ReadCommon(const Json& item, size_t index) {
    Common common;
    common.event_id = RequiredId(item, index, "eventId");
    common.object_id = RecordId(Member(item, "objectId"), index, "objectId", system_);
    common.occurred_at_ms = EpochMs(item, index, "occurredAt");
    return common;
  }

  void Change(const Json& item, size_t index, ObjectKind kind, bool property_change) {
    const Common common = ReadCommon(item, index);
    Properties properties;
    ReadProperties(item, index, property_change, properties);
    const bool deal = kind == ObjectKind::kDeal;
    auto mapped = deal                           ? IsDealProperty
                  : kind == ObjectKind::kCompany ? IsCompanyProperty
                                                 : IsContactProperty;
    // A contact's creation says the contact exists; any other item without
    // a property Accord keeps carries nothing for it.
    if ((deal || property_change) &&
        std::none_of(properties.begin(), properties.end(),
                     [&](const auto& entry) { return mapped(entry.first); })) {
      out_.ignored.push_back(
          {index, property_change
                      ? "property " + Quoted(item.at("propertyName").get<std::string>()) +
                            " is not one Accord maps (docs/webhook.md)"
                      : "a deal's creation without its properties (dealstage, ...) "
                        "carries nothing Accord keeps"});
      return;
    }
    auto key = std::make_tuple(kind, common.object_id, common.occurred_at_ms);
    auto [it, fresh] = group_index_.try_emplace(key, groups_.size());
    if (fresh) {
      groups_.emplace_back();
      groups_.back().kind = kind;
      groups_.back().object_id = common.object_id;
      groups_.back().occurred_at_ms = common.occurred_at_ms;
      groups_.back().first_item = index;
    }
    Group& group = groups_[it->second];
    group.event_ids.push_back(common.event_id);
    for (auto& [name, property] : properties)
      if (mapped(name)) group.properties[name] = std::move(property);
    if (deal) {
      if (auto email = OptionalText(item, index, "email"); email && !email->empty())
        group.contact_email = Property{*email, index, "email"};
      if (auto id = IdText(item, index, "contactId"))
        group.contact_id = Property{*id, index, "contactId"};
    }
  }

  std::string IdMaterial(const std::string& object_id, std::vector<std::string> event_ids) const {
    std::sort(event_ids.begin(), event_ids.end());
    event_ids.erase(std::unique(event_ids.begin(), event_ids.end()), event_ids.end());
    std::string material = object_id + "#";
    for (size_t i = 0; i < event_ids.size(); ++i) material += (i ? "," : "") + event_ids[i];
    return material;
  }

  events::SourceChange ChangeOf(const std::string& object_id, int64_t occurred_at_ms) const {
    // The change's time is the record's version: a later change of the same
    // record wins, and an older one arriving late never overwrites it.
    return {system_, object_id, static_cast<uint64_t>(occurred_at_ms), occurred_at_ms};
  }

  void Contact(const Group& group) {
    v1::Event event;
    auto email_key = FillContact(group.properties, *event.mutable_customer_upserted());
    Stamp(event, ChangeOf(group.object_id, group.occurred_at_ms),
          IdMaterial(group.object_id, group.event_ids),
          email_key ? *email_key : *events::SourceIdentityKey(system_, group.object_id),
          ingested_at_ms_, group.first_item);
    placed_.emplace_back(group.first_item, std::move(event));
  }

  void Deal(const Group& group) {
    v1::Event event;
    auto* deal = event.mutable_deal_upserted();
    deal->set_deal_id(group.object_id);
    auto property = [&](const char* name) -> const Property* {
      auto it = group.properties.find(name);
      return it == group.properties.end() ? nullptr : &it->second;
    };
    // A deal event stands for the whole deal, as the projection keeps it:
    // without its stage it would reset the deal's.
    const Property* stage_text = property("dealstage");
    if (!stage_text || stage_text->value.empty())
      Refuse(group.first_item, "properties.dealstage",
             "missing: a deal notification carries the deal's stage (dealstage), in "
             "propertyName/propertyValue or properties");
    auto stage = ParseDeal(stage_text->value);
    if (!stage)
      Refuse(stage_text->item, stage_text->field,
             "unknown deal stage " + Quoted(stage_text->value));
    deal->set_stage(*stage);
    if (const Property* name = property("dealname")) deal->set_name(name->value);
    if (const Property* reason = property("closed_lost_reason"))
      deal->set_lost_reason(reason->value);
    if (const Property* amount = property("amount"); amount && !amount->value.empty()) {
      auto minor = ParseMinorUnits(amount->value);
      if (!minor)
        Refuse(amount->item, amount->field,
               "not an amount like 12500.00: " + Quoted(amount->value));
      deal->mutable_amount()->set_minor_units(*minor);
      const Property* currency = property("deal_currency_code");
      deal->mutable_amount()->set_currency(currency && !currency->value.empty() ? currency->value
                                                                                : "EUR");
    }
    Stamp(event, ChangeOf(group.object_id, group.occurred_at_ms),
          IdMaterial(group.object_id, group.event_ids), DealCustomerKey(group), ingested_at_ms_,
          group.first_item);
    placed_.emplace_back(group.first_item, std::move(event));
  }

  // Only the properties the notifications carry: the projection keeps the
  // company's other fields as they were.
  void Company(const Group& group) {
    v1::Event event;
    auto* account = event.mutable_account_upserted();
    account->set_account_id(group.object_id);
    for (const auto& [name, property] : group.properties) {
      if (auto it = CompanyTextProperties().find(name); it != CompanyTextProperties().end()) {
        (account->*(it->second))(property.value);
      } else if (property.value.empty()) {
        continue;
      } else if (name == "numberofemployees") {
        auto employees = ParseInteger(property.value);
        if (!employees || *employees < 0 || *employees > std::numeric_limits<uint32_t>::max())
          Refuse(property.item, property.field,
                 "not a number of employees: " + Quoted(property.value));
        account->set_employees(static_cast<uint32_t>(*employees));
      } else if (name == "annualrevenue") {
        auto minor = ParseMinorUnits(property.value);
        if (!minor)
          Refuse(property.item, property.field,
                 "not an amount like 2500000.00: " + Quoted(property.value));
        account->mutable_annual_revenue()->set_minor_units(*minor);
        account->mutable_annual_revenue()->set_currency("EUR");
      }
    }
    Stamp(event, ChangeOf(group.object_id, group.occurred_at_ms),
          IdMaterial(group.object_id, group.event_ids), "", ingested_at_ms_, group.first_item);
    placed_.emplace_back(group.first_item, std::move(event));
  }

  // Deal notifications name the deal, not its contact: the sender adds the
  // contact's e-mail or id, as the projection files deals under customers.
  std::string DealCustomerKey(const Group& group) const {
    if (group.contact_email) {
      auto key = events::EmailIdentityKey(group.contact_email->value);
      if (!key)
        Refuse(group.contact_email->item, "email",
               "not a usable e-mail address: " + Quoted(group.contact_email->value));
      return *key;
    }
    if (group.contact_id) {
      auto key = events::SourceIdentityKey(system_, group.contact_id->value);
      if (!key)
        Refuse(group.contact_id->item, "contactId",
               "placeholder id " + Quoted(group.contact_id->value) + " names no contact");
      return *key;
    }
    Refuse(group.first_item, "email",
           "missing: a deal notification names its contact (email or contactId)");
  }

  void Erasure(const Json& item, size_t index, const std::string& type) {
    const Common common = ReadCommon(item, index);
    v1::Event event;
    event.mutable_customer_erased()->set_reason(type);
    Stamp(event, ChangeOf(common.object_id, common.occurred_at_ms),
          IdMaterial(common.object_id, {common.event_id}),
          *events::SourceIdentityKey(system_, common.object_id), ingested_at_ms_, index);
    placed_.emplace_back(index, std::move(event));
  }

  void Merge(const Json& item, size_t index) {
    const Common common = ReadCommon(item, index);
    v1::Event event;
    auto* merged = event.mutable_customer_merged();
    const std::string primary =
        RecordId(Member(item, "primaryObjectId"), index, "primaryObjectId", system_);
    merged->set_primary_source_record_id(primary);
    const Json* ids = Member(item, "mergedObjectIds");
    if (!ids || !ids->is_array() || ids->empty())
      Refuse(index, "mergedObjectIds", "must be a non-empty array of the merged records' ids");
    for (size_t i = 0; i < ids->size(); ++i)
      merged->add_merged_source_record_ids(
          RecordId(&(*ids)[i], index, "mergedObjectIds[" + std::to_string(i) + "]", system_));
    Stamp(event, ChangeOf(common.object_id, common.occurred_at_ms),
          IdMaterial(common.object_id, {common.event_id}),
          *events::SourceIdentityKey(system_, primary), ingested_at_ms_, index);
    placed_.emplace_back(index, std::move(event));
  }

  std::string system_;
  int64_t ingested_at_ms_;
  Mapped& out_;
  std::vector<Group> groups_;
  std::map<std::tuple<ObjectKind, std::string, int64_t>, size_t> group_index_;
  // Events with the index of the (first) item they come from.
  std::vector<std::pair<size_t, v1::Event>> placed_;
};

std::string EngagementKinds() {
  std::string kinds;
  for (int i = v1::EngagementKind_MIN + 1; i <= v1::EngagementKind_MAX; ++i)
    if (v1::EngagementKind_IsValid(i))
      kinds += (kinds.empty() ? "" : ", ") +
               events::EngagementKindName(static_cast<v1::EngagementKind>(i));
  return kinds;
}

void MapSubmission(const Json& item, size_t index, std::string_view system, int64_t ingested_at_ms,
                   Mapped& out) {
  if (!item.is_object()) Refuse(index, "", "not a JSON object but " + TypeOf(item));
  const auto event_id = IdText(item, index, "eventId");
  const int64_t submitted_at = EpochMs(item, index, "submittedAt");
  const auto contact_id = IdText(item, index, "contactId");
  const auto email = OptionalText(item, index, "email");
  std::string customer_key;
  if (email && !email->empty()) {
    auto key = events::EmailIdentityKey(*email);
    if (!key) Refuse(index, "email", "not a usable e-mail address: " + Quoted(*email));
    customer_key = *key;
  } else if (contact_id) {
    auto key = events::SourceIdentityKey(system, *contact_id);
    if (!key) Refuse(index, "contactId", "placeholder id " + Quoted(*contact_id) + " names no one");
    customer_key = *key;
  } else {
    Refuse(index, "email", "missing: a submission names its contact (email or contactId)");
  }
  const auto campaign_id = IdText(item, index, "campaignId");
  const auto form_id = IdText(item, index, "formId");
  if (!campaign_id && !form_id)
    Refuse(index, "campaignId", "missing: name the campaign (campaignId) or the form (formId)");
  auto kind = v1::ENGAGEMENT_KIND_FORM_SUBMITTED;
  if (auto text = OptionalText(item, index, "kind"); text && !text->empty()) {
    auto parsed = events::ParseEngagementKind(AsciiLower(*text));
    if (!parsed)
      Refuse(index, "kind", "unknown kind " + Quoted(*text) + " (" + EngagementKinds() + ")");
    kind = *parsed;
  }
  const std::string detail = OptionalText(item, index, "detail").value_or(form_id.value_or(""));

  Properties fields;
  if (const Json* object = Member(item, "fields")) {
    if (!object->is_object()) Refuse(index, "fields", "must be an object, not " + TypeOf(*object));
    for (const auto& [name, value] : object->items()) {
      std::string lower = AsciiLower(name);
      // The submission's e-mail names the contact; a second one in the
      // fields would be ambiguous.
      if (lower != "email" && IsContactProperty(lower))
        fields[lower] = {PropertyText(value, index, "fields." + name), index, "fields." + name};
    }
  }
  // Without the sender's id, the submission itself tells submissions apart.
  const std::string submission = event_id ? *event_id
                                          : events::EngagementKindName(kind) + "#" + customer_key +
                                                "#" + campaign_id.value_or("") + "#" +
                                                form_id.value_or("") + "#" + detail;
  const auto version = static_cast<uint64_t>(submitted_at);

  if (!fields.empty()) {
    v1::Event upsert;
    FillContact(fields, *upsert.mutable_customer_upserted());
    if (email && !email->empty())
      upsert.mutable_customer_upserted()->set_email(*events::NormaliseEmail(*email));
    // The form tool's contact when it says which; else an id derived from
    // the address, so that no address stays behind in an alias after an
    // erasure.
    std::string record =
        contact_id ? *contact_id : "submitter-" + Sha256Hex(customer_key).substr(0, 24);
    Stamp(upsert, {std::string(system), record, version, submitted_at}, record + "#" + submission,
          customer_key, ingested_at_ms, index);
    out.events.push_back(std::move(upsert));
  }
  v1::Event engagement;
  auto* payload = engagement.mutable_campaign_engagement();
  payload->set_campaign_id(campaign_id ? *campaign_id : *form_id);
  payload->set_kind(kind);
  payload->set_detail(detail);
  Stamp(engagement,
        {std::string(system), event_id.value_or(payload->campaign_id()), version, submitted_at},
        submission, customer_key, ingested_at_ms, index);
  out.events.push_back(std::move(engagement));
}

}  // namespace

Mapped MapBody(Shape shape, std::string_view body, std::string_view source_system,
               int64_t ingested_at_ms) {
  Mapped out;
  Json parsed;
  try {
    parsed = Json::parse(body);
  } catch (const Json::exception& e) {
    // A syntax error, or a number too large for a double (out_of_range):
    // "[json.exception.parse_error.101] parse error at line 1, ..." without
    // the library's tag.
    std::string what = e.what();
    auto tag = what.find("] ");
    out.refusal =
        Refusal{std::nullopt, "",
                "malformed JSON: " + (tag == std::string::npos ? what : what.substr(tag + 2))};
    return out;
  }
  if (!events::IsValidSystemName(source_system) || source_system == events::kAccordSystem) {
    out.refusal = Refusal{std::nullopt, "",
                          "source system " + Quoted(source_system) +
                              " is not a system name (lower-case letters, digits, '.', '_', '-'; "
                              "not \"accord\")"};
    return out;
  }
  if (!parsed.is_array() && !parsed.is_object()) {
    out.refusal =
        Refusal{std::nullopt, "",
                "expected a JSON array of items (or one item object), not " + TypeOf(parsed)};
    return out;
  }
  const Json items = parsed.is_array() ? std::move(parsed) : Json::array({std::move(parsed)});
  try {
    for (size_t i = 0; i < items.size(); ++i) RefuseNulBytes(items[i], i, "");
    if (shape == Shape::kChanges) {
      ChangesMapper mapper(source_system, ingested_at_ms, out);
      for (size_t i = 0; i < items.size(); ++i) mapper.Item(items[i], i);
      mapper.Finish();
    } else {
      for (size_t i = 0; i < items.size(); ++i)
        MapSubmission(items[i], i, source_system, ingested_at_ms, out);
    }
  } catch (const RefusedItem& refused) {
    return {{}, {}, refused.refusal};
  }
  return out;
}

signing::Verification AccordFormat::Verify(std::string_view secret, const http::Request& request,
                                           int64_t now_ms) const {
  auto header = [&](const char* name) -> std::optional<std::string> {
    if (auto value = request.Header(name)) return std::string(*value);
    return std::nullopt;
  };
  return signing::Verify(secret, request.method, request.target, header(signing::kTimestampHeader),
                         header(signing::kSignatureHeader), request.body, now_ms / 1000);
}

Mapped AccordFormat::Parse(const http::Request& request, std::string_view source_system,
                           int64_t ingested_at_ms) const {
  return MapBody(shape_, request.body, source_system, ingested_at_ms);
}

}  // namespace accord::connectors::webhook
