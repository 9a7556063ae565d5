#include "bench/workload.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <stdexcept>

#include "domain/events/envelope.h"
#include "domain/events/identity.h"

namespace accord::bench {
namespace {

constexpr std::array<const char*, 24> kFirstNames = {
    "Anna",  "Lukas", "Marie", "Jonas", "Sophie", "Felix",  "Lea",   "Paul",
    "Emma",  "Tim",   "Laura", "Jan",   "Hannah", "Max",    "Julia", "Niklas",
    "Sarah", "David", "Lena",  "Simon", "Clara",  "Tobias", "Nina",  "Moritz"};
constexpr std::array<const char*, 24> kLastNames = {
    "Mueller",    "Schmidt",  "Schneider", "Fischer", "Weber",    "Meyer", "Wagner",  "Becker",
    "Schulz",     "Hoffmann", "Koch",      "Richter", "Klein",    "Wolf",  "Neumann", "Schwarz",
    "Zimmermann", "Braun",    "Krueger",   "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner"};
constexpr std::array<const char*, 16> kCompanyStems = {
    "Nordlicht", "Rheinwerk", "Alpenblick", "Hansetec",  "Elbdata", "Spreesoft",
    "Mainfeld",  "Isarlogik", "Weserbau",   "Neckarnet", "Ostwind", "Bergwerk",
    "Seeblick",  "Waldhaus",  "Sonnentor",  "Brueckner"};
constexpr std::array<const char*, 8> kCities = {"Berlin",    "Hamburg",   "Muenchen", "Koeln",
                                                "Frankfurt", "Stuttgart", "Leipzig",  "Bremen"};
constexpr std::array<const char*, 8> kJobTitles = {"Head of Marketing", "CTO",
                                                   "IT-Leiter",         "Einkauf",
                                                   "Geschaeftsfuehrer", "Vertriebsleiter",
                                                   "Marketing Manager", "Projektleiterin"};
constexpr std::array<const char*, 6> kChannels = {"email",   "webinar", "event",
                                                  "content", "social",  "paid_search"};
constexpr std::array<const char*, 3> kLostReasons = {"no_budget", "competitor", "timing"};

// 2025-01-01T00:00:00Z: the workload's history starts there and advances
// about 30 s per event (a million events span roughly a year).
constexpr int64_t kHistoryStartMs = 1735689600000;

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string Upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

Workload::Workload(uint64_t events, uint64_t seed)
    : events_(events),
      customers_(std::max<uint64_t>(1, events / 20)),
      campaigns_(std::clamp<uint64_t>(events / 5000, 1, 200)),
      rng_state_(seed),
      occurred_at_ms_(kHistoryStartMs),
      marketing_version_(customers_),
      crm_version_(customers_),
      deal_number_(customers_),
      deal_stage_(customers_),
      open_ticket_(customers_) {
  if (campaigns_ > events_) campaigns_ = events_;
}

// splitmix64: tiny, fast and fully specified, so the workload is the same on
// every platform and standard library.
uint64_t Workload::Random() {
  uint64_t z = (rng_state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Skewed choice: P(customer < k) = sqrt(k / customers), so the busiest 1% of
// customers draw about 10% of the events.
uint64_t Workload::PickCustomer() {
  double u = static_cast<double>(Random() >> 11) / 9007199254740992.0;  // [0, 1)
  return std::min<uint64_t>(customers_ - 1, static_cast<uint64_t>(u * u * customers_));
}

// The marketing tool stores addresses lower case; the CRM keeps what the
// sales rep typed ("Anna.Mueller.17@Nordlicht-3.DE"). Both normalise to the
// same identity key.
std::string Workload::Email(uint64_t customer, bool crm_casing) const {
  std::string first = kFirstNames[customer % kFirstNames.size()];
  std::string last = kLastNames[(customer / kFirstNames.size()) % kLastNames.size()];
  uint64_t company = customer / 7;
  std::string stem = kCompanyStems[company % kCompanyStems.size()];
  std::string local = first + "." + last + "." + std::to_string(customer);
  std::string domain = stem + "-" + std::to_string(company);
  if (crm_casing) return local + "@" + domain + "." + Upper("de");
  return Lower(local) + "@" + Lower(domain) + ".de";
}

void Workload::Envelope(v1::Event& event, const std::string& system, const std::string& record_id,
                        uint64_t version, const std::string& email) {
  events::StampEnvelope(event, {system, record_id, version, occurred_at_ms_});
  // Connectors see a change a little after it happened.
  event.set_ingested_at_ms(occurred_at_ms_ + 200 + static_cast<int64_t>(Below(5000)));
  if (!email.empty()) {
    auto key = events::EmailIdentityKey(email);
    if (!key) throw std::logic_error("workload produced an unusable e-mail: " + email);
    event.set_customer_key(*key);
  }
}

bool Workload::Next(v1::Event& event) {
  if (produced_ >= events_) return false;
  event.Clear();
  occurred_at_ms_ += 1 + static_cast<int64_t>(Below(60000));
  if (produced_ < campaigns_) {
    Campaign(event, produced_);
  } else {
    uint64_t customer = PickCustomer();
    uint64_t draw = Below(1000);
    if (draw < 150)
      Contact(event, customer);
    else if (draw < 850)
      Engagement(event, customer);
    else if (draw < 950)
      Deal(event, customer);
    else if (draw < 970)
      Order(event, customer);
    else if (draw < 990)
      Activity(event, customer);
    else
      Ticket(event, customer);
  }
  ++produced_;
  return true;
}

void Workload::Campaign(v1::Event& event, uint64_t index) {
  ++mix_.campaigns;
  const std::string id = "cmp-" + std::to_string(index);
  auto* campaign = event.mutable_campaign_upserted();
  campaign->set_campaign_id(id);
  campaign->set_name("Kampagne " + std::to_string(index) + " " +
                     kCompanyStems[index % kCompanyStems.size()]);
  campaign->set_channel(kChannels[index % kChannels.size()]);
  campaign->set_start_date("2025-0" + std::to_string(1 + index % 9) + "-01");
  campaign->mutable_budget()->set_minor_units(500000 + static_cast<int64_t>(Below(5000000)));
  campaign->mutable_budget()->set_currency("EUR");
  Envelope(event, "marketing", id, 1, "");
}

void Workload::Contact(v1::Event& event, uint64_t customer) {
  ++mix_.contacts;
  const bool crm = Below(2) == 1;
  uint32_t& version = crm ? crm_version_[customer] : marketing_version_[customer];
  ++version;
  auto* upsert = event.mutable_customer_upserted();
  const std::string email = Email(customer, crm);
  upsert->set_email(email);
  upsert->set_first_name(kFirstNames[customer % kFirstNames.size()]);
  upsert->set_last_name(kLastNames[(customer / kFirstNames.size()) % kLastNames.size()]);
  const uint64_t company = customer / 7;
  if (crm || Below(10) < 7)
    upsert->set_company(std::string(kCompanyStems[company % kCompanyStems.size()]) + " GmbH");
  if (Below(2) == 0) upsert->set_job_title(kJobTitles[Below(kJobTitles.size())]);
  upsert->set_city(kCities[company % kCities.size()]);
  upsert->set_country("DE");
  if (crm) {
    if (Below(10) < 6) upsert->set_phone("+49 30 " + std::to_string(1000000 + customer));
    // The CRM record often carries the marketing contact it was created from.
    if (marketing_version_[customer] > 0 && Below(10) < 7)
      upsert->add_linked_source_ids("marketing:mkt-" + std::to_string(customer));
    if (Below(10) < 2)
      upsert->set_lifecycle_stage(Below(2) == 0 ? v1::LIFECYCLE_STAGE_SQL
                                                : v1::LIFECYCLE_STAGE_OPPORTUNITY);
  } else if (version == 1) {
    upsert->set_lifecycle_stage(v1::LIFECYCLE_STAGE_SUBSCRIBER);
  } else if (version == 2) {
    upsert->set_lifecycle_stage(v1::LIFECYCLE_STAGE_LEAD);
  } else if (Below(10) < 3) {
    upsert->set_lifecycle_stage(v1::LIFECYCLE_STAGE_MQL);
  }
  Envelope(event, crm ? "crm" : "marketing", (crm ? "crm-" : "mkt-") + std::to_string(customer),
           version, email);
}

void Workload::Engagement(v1::Event& event, uint64_t customer) {
  ++mix_.engagements;
  auto* engagement = event.mutable_campaign_engagement();
  const uint64_t campaign = Below(campaigns_);
  engagement->set_campaign_id("cmp-" + std::to_string(campaign));
  uint64_t draw = Below(100);
  if (draw < 45) {
    engagement->set_kind(v1::ENGAGEMENT_KIND_SENT);
  } else if (draw < 75) {
    engagement->set_kind(v1::ENGAGEMENT_KIND_OPENED);
  } else if (draw < 92) {
    engagement->set_kind(v1::ENGAGEMENT_KIND_CLICKED);
    engagement->set_detail("https://www.accord-demo.de/lp/cmp-" + std::to_string(campaign) +
                           "?utm_source=newsletter");
  } else {
    engagement->set_kind(v1::ENGAGEMENT_KIND_FORM_SUBMITTED);
    engagement->set_detail("form-" + std::to_string(campaign % 17));
  }
  Envelope(event, "marketing", "eng-" + std::to_string(produced_), 1, Email(customer, false));
}

void Workload::Deal(v1::Event& event, uint64_t customer) {
  ++mix_.deals;
  uint8_t& stage = deal_stage_[customer];
  if (stage == 0 || stage >= v1::DEAL_STAGE_CLOSED_WON) {
    ++deal_number_[customer];
    stage = v1::DEAL_STAGE_PROSPECTING;
  } else if (stage < v1::DEAL_STAGE_NEGOTIATION) {
    ++stage;
  } else {
    stage = Below(10) < 6 ? v1::DEAL_STAGE_CLOSED_WON : v1::DEAL_STAGE_CLOSED_LOST;
  }
  const std::string id =
      "deal-" + std::to_string(customer) + "-" + std::to_string(deal_number_[customer]);
  auto* deal = event.mutable_deal_upserted();
  deal->set_deal_id(id);
  deal->set_name(std::string(kCompanyStems[(customer / 7) % kCompanyStems.size()]) + " Lizenz " +
                 std::to_string(deal_number_[customer]));
  deal->set_stage(static_cast<v1::DealStage>(stage));
  deal->mutable_amount()->set_minor_units(100000 + static_cast<int64_t>(Below(50)) * 100000);
  deal->mutable_amount()->set_currency("EUR");
  if (Below(2) == 0) deal->set_campaign_id("cmp-" + std::to_string(Below(campaigns_)));
  if (stage == v1::DEAL_STAGE_CLOSED_LOST)
    deal->set_lost_reason(kLostReasons[Below(kLostReasons.size())]);
  // Closing stages share a version: a deal is won or lost once.
  const uint64_t version = std::min<uint64_t>(stage, v1::DEAL_STAGE_CLOSED_WON);
  Envelope(event, "crm", id, version, Email(customer, true));
}

void Workload::Order(v1::Event& event, uint64_t customer) {
  ++mix_.orders;
  const std::string id = "ord-" + std::to_string(produced_);
  auto* order = event.mutable_order_placed();
  order->set_order_id(id);
  order->mutable_amount()->set_minor_units(1990 + static_cast<int64_t>(Below(200000)));
  order->mutable_amount()->set_currency("EUR");
  Envelope(event, "shop", id, 1, Email(customer, false));
}

void Workload::Activity(v1::Event& event, uint64_t customer) {
  ++mix_.activities;
  const std::string id = "act-" + std::to_string(produced_);
  auto* activity = event.mutable_activity_logged();
  activity->set_activity_id(id);
  activity->set_kind(static_cast<v1::ActivityKind>(1 + Below(3)));
  activity->set_subject("Follow-up " + std::to_string(customer));
  activity->set_outbound(Below(4) != 0);
  Envelope(event, "crm", id, 1, Email(customer, true));
}

void Workload::Ticket(v1::Event& event, uint64_t customer) {
  ++mix_.tickets;
  uint32_t& open = open_ticket_[customer];
  auto* ticket = event.mutable_support_ticket();
  uint64_t version = 1;
  if (open != 0 && Below(10) < 6) {
    ticket->set_ticket_id("tkt-" + std::to_string(open));
    ticket->set_status(v1::TICKET_STATUS_RESOLVED);
    ticket->set_subject("Rueckfrage zur Rechnung");
    open = 0;
    version = 2;
  } else {
    open = static_cast<uint32_t>(produced_);
    ticket->set_ticket_id("tkt-" + std::to_string(open));
    ticket->set_status(v1::TICKET_STATUS_OPEN);
    ticket->set_complaint(Below(5) == 0);
    ticket->set_subject("Rueckfrage zur Rechnung");
  }
  Envelope(event, "support", ticket->ticket_id(), version, Email(customer, false));
}

}  // namespace accord::bench
