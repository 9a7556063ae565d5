#include "domain/fold/fold.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <map>

#include "accord/state/v1/state.pb.h"
#include "domain/events/envelope.h"
#include "domain/events/identity.h"
#include "domain/fold/codec.h"
#include "domain/fold/overlay.h"
#include "domain/fold/testing/fold_testing.h"

namespace accord::fold {
namespace {

using state::v1::AccountState;
using state::v1::CampaignState;
using state::v1::CampaignStats;
using state::v1::CustomerState;
using state::v1::DealState;
using state::v1::FieldValue;
using ::testing::ElementsAre;
using namespace test_support;

// --- Fixture ---------------------------------------------------------------

class FoldTest : public ::testing::Test {
 protected:
  Outcome Fold(const v1::Event& event) {
    Outcome outcome = Apply(state_, event);
    state_.Write(outcome.changes);
    return outcome;
  }

  std::string IdOf(const std::string& identity_key) const {
    return state_.Get(Table::kIdentity, identity_key).value_or("<none>");
  }

  // The record stored under `id` (a redirect stays a redirect), with its
  // activity counters joined in as readers see them.
  CustomerState Customer(const std::string& id) const {
    auto bytes = state_.Get(Table::kCustomers, id);
    EXPECT_TRUE(bytes) << "no customer " << id;
    if (!bytes) return CustomerState();
    auto customer = DecodeState<CustomerState>(*bytes, Table::kCustomers, id);
    return customer.merged_into().empty() ? LoadCustomer(state_, id).value() : customer;
  }

  template <typename T>
  T Row(Table table, const std::string& key) const {
    auto bytes = state_.Get(table, key);
    EXPECT_TRUE(bytes) << "no row " << key << " in " << TableName(table);
    return bytes ? DecodeState<T>(*bytes, table, key) : T();
  }

  // Customers that are not merge redirects.
  std::vector<std::string> LiveCustomers() const {
    std::vector<std::string> ids;
    for (const auto& [id, bytes] : state_.Rows(Table::kCustomers))
      if (DecodeState<CustomerState>(bytes, Table::kCustomers, id).merged_into().empty())
        ids.push_back(id);
    return ids;
  }

  static FieldValue Field(const CustomerState& customer, std::string_view name) {
    for (const auto& field : customer.fields())
      if (field.name() == name) return field;
    ADD_FAILURE() << "customer " << customer.customer_id() << " has no field " << name;
    return FieldValue();
  }

  static std::vector<std::string> Aliases(const CustomerState& customer) {
    return {customer.aliases().begin(), customer.aliases().end()};
  }

  static uint64_t VersionOf(const CustomerState& customer, std::string_view source_key) {
    for (const auto& sv : customer.source_versions())
      if (sv.source_key() == source_key) return sv.version();
    return 0;
  }

  MemoryState state_;
};

// --- Identity ----------------------------------------------------------------

TEST_F(FoldTest, SameEmailInDifferentSpellingsFromTwoSystemsIsOneCustomer) {
  Outcome first = Fold(Contact({.system = "marketing", .record = "m1", .email = " Anna@Corp.DE "}));
  Outcome second = Fold(
      Contact({.system = "crm", .record = "c1", .at_ms = kT0 + kMinute, .email = "anna@corp.de"}));

  EXPECT_EQ(first.verdict, Verdict::kApplied);
  EXPECT_EQ(second.customer_id, first.customer_id);
  ASSERT_EQ(LiveCustomers(), std::vector<std::string>{first.customer_id});
  CustomerState customer = Customer(first.customer_id);
  EXPECT_THAT(Aliases(customer),
              ElementsAre("email:anna@corp.de", "src:crm:c1", "src:marketing:m1"));
  for (const auto& alias : Aliases(customer)) EXPECT_EQ(IdOf(alias), first.customer_id) << alias;
  EXPECT_EQ(customer.applied_events(), 2u);
  EXPECT_EQ(Field(customer, "email").value(), "anna@corp.de");
  EXPECT_EQ(customer.first_seen_ms(), kT0);
  EXPECT_EQ(customer.last_seen_ms(), kT0 + kMinute);
}

TEST_F(FoldTest, EmailChangeKeepsOneCustomerWithBothAliases) {
  Outcome before = Fold(Contact({.version = 1, .email = "anna@old.de"}));
  Outcome after = Fold(Contact({.version = 2, .at_ms = kT0 + kMinute, .email = "anna@new.de"}));

  EXPECT_EQ(after.customer_id, before.customer_id);
  EXPECT_EQ(LiveCustomers().size(), 1u);
  CustomerState customer = Customer(before.customer_id);
  EXPECT_THAT(Aliases(customer),
              ElementsAre("email:anna@new.de", "email:anna@old.de", "src:marketing:m1"));
  EXPECT_EQ(Field(customer, "email").value(), "anna@new.de");
  EXPECT_EQ(IdOf("email:anna@new.de"), before.customer_id);
  EXPECT_EQ(IdOf("email:anna@old.de"), before.customer_id);
}

TEST_F(FoldTest, JunkEmailNeverMergesPeople) {
  Outcome one = Fold(Contact({.record = "m1", .email = "test@example.com", .first_name = "Ann"}));
  Outcome two = Fold(Contact({.record = "m2", .email = "TEST@example.com", .first_name = "Bob"}));
  // Junk links are ignored too.
  Outcome three = Fold(Contact({.record = "m3", .email = "noreply@corp.de", .linked = {"crm:0"}}));
  Outcome four = Fold(Contact({.record = "m4", .linked = {"crm:0", "crm:null"}}));

  EXPECT_NE(one.customer_id, two.customer_id);
  EXPECT_NE(three.customer_id, four.customer_id);
  EXPECT_EQ(LiveCustomers().size(), 4u);
  EXPECT_FALSE(state_.Get(Table::kIdentity, "email:test@example.com"));
  EXPECT_FALSE(state_.Get(Table::kIdentity, "src:crm:0"));
  EXPECT_THAT(Aliases(Customer(one.customer_id)), ElementsAre("src:marketing:m1"));
  EXPECT_THAT(Aliases(Customer(two.customer_id)), ElementsAre("src:marketing:m2"));
  EXPECT_EQ(Field(Customer(two.customer_id), "first_name").value(), "Bob");
}

TEST_F(FoldTest, LinkedSourceIdMergesTwoCustomersIntoOne) {
  Outcome a = Fold(Contact({.system = "marketing",
                            .record = "m1",
                            .email = "a@corp.de",
                            .first_name = "Anna",
                            .company = "Alpha"}));
  Outcome b = Fold(Contact({.system = "crm",
                            .record = "c1",
                            .at_ms = kT0 + kMinute,
                            .email = "b@corp.de",
                            .company = "Beta"}));
  ASSERT_NE(a.customer_id, b.customer_id);

  // The CRM record now names the marketing record it came from; it carries no
  // e-mail, so email:b@corp.de can only reach the survivor through the merge.
  Outcome link = Fold(Contact({.system = "crm",
                               .record = "c1",
                               .version = 2,
                               .at_ms = kT0 + 2 * kMinute,
                               .linked = {"marketing:m1"}}));

  // The customer seen first survives; the other becomes a redirect.
  EXPECT_EQ(link.customer_id, a.customer_id);
  EXPECT_EQ(LiveCustomers(), std::vector<std::string>{a.customer_id});
  CustomerState redirect = Customer(b.customer_id);
  EXPECT_EQ(redirect.merged_into(), a.customer_id);
  EXPECT_EQ(redirect.aliases_size(), 0);

  CustomerState survivor = Customer(a.customer_id);
  EXPECT_THAT(Aliases(survivor),
              ElementsAre("email:a@corp.de", "email:b@corp.de", "src:crm:c1", "src:marketing:m1"));
  for (const auto& alias : Aliases(survivor)) EXPECT_EQ(IdOf(alias), a.customer_id) << alias;
  EXPECT_THAT(survivor.merged_customer_ids(), ElementsAre(b.customer_id));
  EXPECT_EQ(survivor.applied_events(), 3u);
  EXPECT_EQ(VersionOf(survivor, "crm:c1"), 2u);
  EXPECT_EQ(VersionOf(survivor, "marketing:m1"), 1u);
  EXPECT_EQ(survivor.first_seen_ms(), kT0);
  EXPECT_EQ(survivor.last_seen_ms(), kT0 + 2 * kMinute);
  // Fields of both survive by the usual rule: the newer value wins.
  EXPECT_EQ(Field(survivor, "first_name").value(), "Anna");
  EXPECT_EQ(Field(survivor, "company").value(), "Beta");
  EXPECT_EQ(Field(survivor, "email").value(), "b@corp.de");

  // Later events for either side land on the survivor.
  Outcome later = Fold(Contact({.system = "marketing",
                                .record = "m1",
                                .version = 2,
                                .at_ms = kT0 + 3 * kMinute,
                                .email = "a@corp.de"}));
  EXPECT_EQ(later.customer_id, a.customer_id);
  EXPECT_EQ(Customer(a.customer_id).applied_events(), 4u);
}

TEST_F(FoldTest, DealForUnknownCustomerCreatesPlaceholderThatContactJoins) {
  Outcome deal = Fold(Deal("d1", 1, kT0, "carla@corp.de", v1::DEAL_STAGE_PROSPECTING, 1250000));
  ASSERT_FALSE(deal.customer_id.empty());
  EXPECT_EQ(IdOf("email:carla@corp.de"), deal.customer_id);
  EXPECT_EQ(Row<DealState>(Table::kDeals, "crm:d1").customer_id(), deal.customer_id);
  EXPECT_EQ(Customer(deal.customer_id).fields_size(), 0);

  Outcome contact = Fold(Contact(
      {.record = "m9", .at_ms = kT0 + kMinute, .email = "Carla@Corp.de", .first_name = "Carla"}));
  EXPECT_EQ(contact.customer_id, deal.customer_id);
  EXPECT_EQ(LiveCustomers().size(), 1u);
  CustomerState customer = Customer(deal.customer_id);
  EXPECT_THAT(Aliases(customer), ElementsAre("email:carla@corp.de", "src:marketing:m9"));
  EXPECT_EQ(Field(customer, "first_name").value(), "Carla");
  EXPECT_EQ(customer.applied_events(), 2u);
}

// --- Version guards and conflict rules --------------------------------------

TEST_F(FoldTest, OlderSourceVersionNeverOverwritesNewer) {
  Fold(Contact({.record = "m1",
                .version = 2,
                .email = "anna@corp.de",
                .first_name = "Anna-Lena",
                .company = "Alpha"}));
  Fold(Contact({.system = "crm",
                .record = "c1",
                .at_ms = kT0 + kMinute,
                .email = "anna@corp.de",
                .company = "Beta"}));
  // An older version of m1 arrives late, claiming the latest occurred_at: it
  // beats neither m1's newer version nor the CRM's value.
  Outcome stale = Fold(Contact({.record = "m1",
                                .version = 1,
                                .at_ms = kT0 + 2 * kMinute,
                                .email = "anna@corp.de",
                                .first_name = "Anna",
                                .company = "Gamma"}));

  EXPECT_EQ(stale.verdict, Verdict::kApplied);
  CustomerState customer = Customer(stale.customer_id);
  EXPECT_EQ(Field(customer, "first_name").value(), "Anna-Lena");
  EXPECT_EQ(Field(customer, "first_name").source_version(), 2u);
  EXPECT_EQ(Field(customer, "company").value(), "Beta");
  EXPECT_EQ(VersionOf(customer, "marketing:m1"), 2u);
  EXPECT_EQ(customer.applied_events(), 3u);  // still counted in the history
  EXPECT_TRUE(state_.Get(Table::kEvents, stale.changes.back().key));
}

TEST_F(FoldTest, NewerOccurredAtWinsAcrossSystemsAndRecordsTheRule) {
  Fold(Contact({.system = "marketing", .record = "m1", .email = "anna@corp.de", .company = "Old"}));
  EXPECT_EQ(Field(Customer(IdOf("email:anna@corp.de")), "company").rule(), "first-value");

  Outcome crm = Fold(Contact({.system = "crm",
                              .record = "c1",
                              .at_ms = kT0 + 2 * kMinute,
                              .email = "anna@corp.de",
                              .company = "New"}));
  // An update from marketing that happened before the CRM's does not win.
  Fold(Contact({.system = "marketing",
                .record = "m1",
                .version = 2,
                .at_ms = kT0 + kMinute,
                .email = "anna@corp.de",
                .company = "Between"}));

  FieldValue company = Field(Customer(crm.customer_id), "company");
  EXPECT_EQ(company.value(), "New");
  EXPECT_EQ(company.rule(), "newest-occurred-at");
  EXPECT_EQ(company.source_system(), "crm");
  EXPECT_EQ(company.source_record_id(), "c1");
  EXPECT_EQ(company.occurred_at_ms(), kT0 + 2 * kMinute);
  EXPECT_EQ(company.event_id(), crm.changes.back().key);
}

TEST_F(FoldTest, LifecycleStageFollowsTheNewestStatement) {
  Outcome first = Fold(Contact({.email = "anna@corp.de", .stage = v1::LIFECYCLE_STAGE_MQL}));
  EXPECT_EQ(Customer(first.customer_id).lifecycle_stage(), v1::LIFECYCLE_STAGE_MQL);
  EXPECT_EQ(Field(Customer(first.customer_id), "lifecycle_stage").value(), "mql");

  Fold(LeadStatus("crm", "l1", kT0 - kMinute, "anna@corp.de", v1::LIFECYCLE_STAGE_LEAD));
  EXPECT_EQ(Customer(first.customer_id).lifecycle_stage(), v1::LIFECYCLE_STAGE_MQL);

  Fold(LeadStatus("crm", "l2", kT0 + kMinute, "anna@corp.de", v1::LIFECYCLE_STAGE_SQL));
  EXPECT_EQ(Customer(first.customer_id).lifecycle_stage(), v1::LIFECYCLE_STAGE_SQL);
  EXPECT_EQ(Field(Customer(first.customer_id), "lifecycle_stage").value(), "sql");
}

TEST_F(FoldTest, DuplicateEventIdChangesNothing) {
  v1::Event event = Contact({.email = "anna@corp.de", .first_name = "Anna"});
  Fold(event);
  MemoryState::Tables before = state_.tables();

  Outcome again = Apply(state_, event);
  EXPECT_EQ(again.verdict, Verdict::kDuplicate);
  EXPECT_TRUE(again.changes.empty());
  // Even a different payload under a seen id is a duplicate.
  event.mutable_customer_upserted()->set_first_name("Other");
  EXPECT_EQ(Apply(state_, event).verdict, Verdict::kDuplicate);
  EXPECT_EQ(state_.tables(), before);
}

TEST_F(FoldTest, FeedbackEventsAreIgnored) {
  v1::Event event;
  event.mutable_score_updated()->set_score(80);
  event.set_customer_key("email:anna@corp.de");
  Outcome outcome = Apply(state_, Finish(event, "accord", "score-1", 1, kT0));
  EXPECT_EQ(outcome.verdict, Verdict::kIgnored);
  EXPECT_TRUE(outcome.changes.empty());
}

// An event about the customer keyed by `email`, from the CRM.
v1::Event AboutCustomer(v1::Event event, std::string_view record, int64_t at_ms,
                        std::string_view email = "anna@corp.de") {
  event.set_customer_key(*events::EmailIdentityKey(email));
  return Finish(std::move(event), "crm", record, 1, at_ms);
}

TEST_F(FoldTest, ConsentKeepsTheNewestStatementPerChannel) {
  auto consent = [](const char* channel, bool granted) {
    v1::Event event;
    event.mutable_consent_changed()->set_channel(channel);
    event.mutable_consent_changed()->set_granted(granted);
    return event;
  };
  Fold(AboutCustomer(consent("email", true), "k1", kT0 + 2 * kMinute));
  Fold(AboutCustomer(consent("email", false), "k2", kT0));  // late and older: does not win
  Fold(AboutCustomer(consent("phone", false), "k3", kT0 + kMinute));
  CustomerState customer = Customer(IdOf("email:anna@corp.de"));
  ASSERT_EQ(customer.consents_size(), 2);
  EXPECT_EQ(customer.consents(0).channel(), "email");
  EXPECT_TRUE(customer.consents(0).granted());
  EXPECT_EQ(customer.consents(1).channel(), "phone");
  EXPECT_FALSE(customer.consents(1).granted());
  EXPECT_EQ(customer.applied_events(), 3u);
}

TEST_F(FoldTest, ErasureRemovesPersonalDataAndEmailIdentities) {
  Fold(Contact({.record = "m1", .email = "anna@corp.de", .first_name = "Anna"}));
  std::string id = IdOf("email:anna@corp.de");
  v1::Event erase;
  erase.mutable_customer_erased()->set_reason("GDPR Art. 17");
  Fold(AboutCustomer(erase, "x1", kT0 + kMinute));
  CustomerState customer = Customer(id);
  EXPECT_TRUE(customer.erased());
  EXPECT_EQ(customer.fields_size(), 0);
  EXPECT_THAT(Aliases(customer), ElementsAre("src:marketing:m1"));
  EXPECT_EQ(state_.Get(Table::kIdentity, "email:anna@corp.de"), std::nullopt);
  // The record's own id still leads to the erased customer, so later events
  // from that record do not resurrect the person as someone new.
  EXPECT_EQ(IdOf("src:marketing:m1"), id);
}

TEST_F(FoldTest, OrdersTicketsActivitiesAndDecisionsAreCounted) {
  v1::Event order;
  order.mutable_order_placed()->set_order_id("o1");
  order.mutable_order_placed()->mutable_amount()->set_minor_units(125000);
  Fold(AboutCustomer(order, "o1", kT0 + kMinute));
  order.mutable_order_placed()->set_order_id("o2");
  order.mutable_order_placed()->mutable_amount()->set_minor_units(5050);
  Fold(AboutCustomer(order, "o2", kT0));

  auto ticket = [](const char* id, v1::TicketStatus status, bool complaint) {
    v1::Event event;
    event.mutable_support_ticket()->set_ticket_id(id);
    event.mutable_support_ticket()->set_status(status);
    event.mutable_support_ticket()->set_complaint(complaint);
    return event;
  };
  Fold(AboutCustomer(ticket("t1", v1::TICKET_STATUS_OPEN, true), "t1-open", kT0));
  Fold(AboutCustomer(ticket("t2", v1::TICKET_STATUS_OPEN, false), "t2-open", kT0));
  Fold(AboutCustomer(ticket("t1", v1::TICKET_STATUS_RESOLVED, false), "t1-done", kT0 + kMinute));

  v1::Event call;
  call.mutable_activity_logged()->set_kind(v1::ACTIVITY_KIND_CALL);
  Fold(AboutCustomer(call, "a1", kT0));
  v1::Event decision;
  decision.mutable_lead_decision()->set_accepted(false);
  decision.mutable_lead_decision()->set_reason_code("no_budget");
  Fold(AboutCustomer(decision, "d1", kT0));

  CustomerState customer = Customer(IdOf("email:anna@corp.de"));
  EXPECT_EQ(customer.orders(), 2u);
  EXPECT_EQ(customer.order_revenue_minor(), 130050);
  EXPECT_EQ(customer.last_order_ms(), kT0 + kMinute);
  EXPECT_THAT(customer.open_tickets(), ElementsAre("t2"));
  EXPECT_EQ(customer.complaints(), 1u);
  EXPECT_EQ(customer.activities(), 1u);
  EXPECT_EQ(customer.last_lead_decision(), "rejected:no_budget");
  // Back to marketing.
  EXPECT_EQ(customer.lifecycle_stage(), v1::LIFECYCLE_STAGE_LEAD);
  EXPECT_EQ(customer.applied_events(), 7u);

  v1::Event accepted;
  accepted.mutable_lead_decision()->set_accepted(true);
  Fold(AboutCustomer(accepted, "d2", kT0 + 2 * kMinute));
  EXPECT_EQ(Customer(IdOf("email:anna@corp.de")).lifecycle_stage(), v1::LIFECYCLE_STAGE_SQL);
}

TEST_F(FoldTest, DealVersionGuard) {
  Fold(Deal("d1", 2, kT0 + kMinute, "anna@corp.de", v1::DEAL_STAGE_PROPOSAL, 500000));
  Outcome stale =
      Fold(Deal("d1", 1, kT0 + 2 * kMinute, "anna@corp.de", v1::DEAL_STAGE_PROSPECTING, 100));
  for (const auto& change : stale.changes) EXPECT_NE(change.table, Table::kDeals);
  DealState deal = Row<DealState>(Table::kDeals, "crm:d1");
  EXPECT_EQ(deal.stage(), v1::DEAL_STAGE_PROPOSAL);
  EXPECT_EQ(deal.amount().minor_units(), 500000);
  EXPECT_EQ(deal.source_version(), 2u);

  Fold(Deal("d1", 3, kT0 + 3 * kMinute, "anna@corp.de", v1::DEAL_STAGE_CLOSED_WON, 650000));
  deal = Row<DealState>(Table::kDeals, "crm:d1");
  EXPECT_EQ(deal.stage(), v1::DEAL_STAGE_CLOSED_WON);
  EXPECT_EQ(deal.amount().minor_units(), 650000);
  EXPECT_EQ(deal.created_at_ms(), kT0 + kMinute);
  EXPECT_EQ(deal.updated_at_ms(), kT0 + 3 * kMinute);
  EXPECT_EQ(Customer(deal.customer_id()).applied_events(), 3u);
}

TEST_F(FoldTest, CampaignVersionGuard) {
  Outcome created = Fold(Campaign("spring", 2, kT0, "Spring B"));
  EXPECT_EQ(created.customer_id, "");
  Outcome stale = Fold(Campaign("spring", 1, kT0 + kMinute, "Spring A"));
  EXPECT_EQ(stale.verdict, Verdict::kApplied);
  ASSERT_EQ(stale.changes.size(), 1u);  // only the history entry
  EXPECT_EQ(stale.changes[0].table, Table::kEvents);
  EXPECT_EQ(Row<CampaignState>(Table::kCampaigns, "spring").name(), "Spring B");

  Fold(Campaign("spring", 3, kT0 + 2 * kMinute, "Spring C"));
  CampaignState campaign = Row<CampaignState>(Table::kCampaigns, "spring");
  EXPECT_EQ(campaign.name(), "Spring C");
  EXPECT_EQ(campaign.source_version(), 3u);
  EXPECT_TRUE(state_.Rows(Table::kCustomers).empty());
}

TEST_F(FoldTest, AccountUpdatesMergeFieldsAndNeverGoBackInVersion) {
  Outcome created = Fold(Account({.version = 2, .name = "Krüger & Lang", .employees = 40}));
  EXPECT_EQ(created.verdict, Verdict::kApplied);
  EXPECT_EQ(created.customer_id, "");
  // A change notification carrying one field leaves the others alone.
  Fold(Account({.version = 3, .at_ms = kT0 + kMinute, .industry = "Steuerberatung"}));
  // A late, older version is history only.
  Outcome stale = Fold(Account({.version = 1, .at_ms = kT0 + 2 * kMinute, .name = "K&L alt"}));
  ASSERT_EQ(stale.changes.size(), 1u);
  EXPECT_EQ(stale.changes[0].table, Table::kEvents);

  AccountState account = Row<AccountState>(Table::kAccounts, "crm:001A");
  EXPECT_EQ(account.account_key(), "crm:001A");
  EXPECT_EQ(account.name(), "Krüger & Lang");
  EXPECT_EQ(account.industry(), "Steuerberatung");
  EXPECT_EQ(account.employees(), 40u);
  EXPECT_EQ(account.source_version(), 3u);
  EXPECT_EQ(account.created_at_ms(), kT0);
  EXPECT_EQ(account.updated_at_ms(), kT0 + kMinute);
  EXPECT_TRUE(state_.Rows(Table::kCustomers).empty());
}

TEST_F(FoldTest, ContactNamesItsAccountInItsOwnSystem) {
  Outcome contact = Fold(Contact({.system = "crm",
                                  .record = "003B",
                                  .email = "n.fischer@kl-steuer.de",
                                  .account_id = "001A"}));
  FieldValue account = Field(Customer(contact.customer_id), "account");
  EXPECT_EQ(account.value(), "crm:001A");
  EXPECT_EQ(account.source_system(), "crm");
  EXPECT_EQ(account.source_record_id(), "003B");
}

TEST_F(FoldTest, EngagementCountsPerCampaignAndCustomer) {
  Fold(Engagement("e1", kT0, "anna@corp.de", "spring", v1::ENGAGEMENT_KIND_OPENED));
  Fold(Engagement("e2", kT0 + 1, "bob@corp.de", "spring", v1::ENGAGEMENT_KIND_OPENED));
  Outcome click =
      Fold(Engagement("e3", kT0 + 2, "anna@corp.de", "spring", v1::ENGAGEMENT_KIND_CLICKED));
  Fold(Engagement("e4", kT0 + 3, "anna@corp.de", "autumn", v1::ENGAGEMENT_KIND_SENT));

  CampaignStats spring = Row<CampaignStats>(Table::kCampaignStats, "spring");
  ASSERT_GT(spring.counts_by_kind_size(), v1::ENGAGEMENT_KIND_CLICKED);
  EXPECT_EQ(spring.counts_by_kind(v1::ENGAGEMENT_KIND_OPENED), 2u);
  EXPECT_EQ(spring.counts_by_kind(v1::ENGAGEMENT_KIND_CLICKED), 1u);
  EXPECT_EQ(spring.counts_by_kind(v1::ENGAGEMENT_KIND_SENT), 0u);
  EXPECT_EQ(
      Row<CampaignStats>(Table::kCampaignStats, "autumn").counts_by_kind(v1::ENGAGEMENT_KIND_SENT),
      1u);
  EXPECT_EQ(Customer(click.customer_id).engagements(), 3u);
}

TEST_F(FoldTest, UnknownEnumValuesDoNotCorruptState) {
  // proto3 enums are open: values from a newer producer or corrupt input
  // decode fine and must be folded safely.
  for (int kind : {-1, 1000}) {
    Fold(Engagement("x" + std::to_string(kind), kT0, "anna@corp.de", "spring",
                    static_cast<v1::EngagementKind>(kind)));
  }
  CampaignStats stats = Row<CampaignStats>(Table::kCampaignStats, "spring");
  EXPECT_LE(stats.counts_by_kind_size(), v1::EngagementKind_MAX + 1);
  ASSERT_GE(stats.counts_by_kind_size(), 1);
  EXPECT_EQ(stats.counts_by_kind(v1::ENGAGEMENT_KIND_UNSPECIFIED), 2u);

  Outcome known = Fold(Contact({.email = "anna@corp.de", .stage = v1::LIFECYCLE_STAGE_LEAD}));
  Fold(Contact({.version = 2,
                .at_ms = kT0 + kMinute,
                .email = "anna@corp.de",
                .stage = static_cast<v1::LifecycleStage>(99)}));
  CustomerState customer = Customer(known.customer_id);
  EXPECT_EQ(customer.engagements(), 2u);
  EXPECT_EQ(customer.lifecycle_stage(), v1::LIFECYCLE_STAGE_LEAD);
  EXPECT_EQ(Field(customer, "lifecycle_stage").value(), "lead");
}

// --- Determinism ---------------------------------------------------------------

std::vector<v1::Event> History() {
  return {
      Campaign("spring", 1, kT0, "Spring"),
      Contact({.system = "marketing", .record = "m1", .email = "a@corp.de", .first_name = "Anna"}),
      Contact({.system = "crm", .record = "c1", .at_ms = kT0 + 1, .email = "b@corp.de"}),
      Deal("d1", 1, kT0 + 2, "carla@corp.de", v1::DEAL_STAGE_PROSPECTING, 100),
      Engagement("e1", kT0 + 3, "a@corp.de", "spring", v1::ENGAGEMENT_KIND_OPENED),
      Contact({.record = "m2", .at_ms = kT0 + 4, .email = "test@example.com"}),
      Contact({.record = "m3", .at_ms = kT0 + 5, .email = "test@example.com"}),
      Contact({.system = "crm",
               .record = "c1",
               .version = 2,
               .at_ms = kT0 + 6,
               .email = "b@corp.de",
               .company = "Beta",
               .linked = {"marketing:m1"}}),
      Contact({.record = "m9", .at_ms = kT0 + 7, .email = "carla@corp.de"}),
      Contact({.record = "m1", .version = 3, .at_ms = kT0 + 8, .email = "a2@corp.de"}),
      Contact({.record = "m1", .version = 2, .at_ms = kT0 + 9, .email = "a@corp.de"}),  // stale
      Deal("d1", 2, kT0 + 10, "carla@corp.de", v1::DEAL_STAGE_CLOSED_WON, 200),
      Engagement("e1", kT0 + 3, "a@corp.de", "spring", v1::ENGAGEMENT_KIND_OPENED),  // dup
      Campaign("spring", 2, kT0 + 11, "Spring 2"),
      LeadStatus("crm", "l1", kT0 + 12, "b@corp.de", v1::LIFECYCLE_STAGE_SQL),
  };
}

// Folds `events` into a fresh state through an overlay flushed every
// `batch` events (and at the end).
MemoryState::Tables FoldInBatches(const std::vector<v1::Event>& events, size_t batch) {
  MemoryState base;
  Overlay overlay(base);
  for (size_t i = 0; i < events.size(); ++i) {
    Outcome outcome = Apply(overlay, events[i]);
    overlay.Record(outcome.changes);
    if ((i + 1) % batch == 0) base.Flush(overlay);
  }
  base.Flush(overlay);
  return base.tables();
}

TEST_F(FoldTest, TimelineRecordsEveryEventInOrderWithStaleAndMergeNotes) {
  Fold(Contact({.system = "marketing", .record = "m1", .version = 2, .email = "a@corp.de"}));
  Fold(Contact({.system = "marketing",
                .record = "m1",
                .version = 1,
                .at_ms = kT0 + kMinute,
                .email = "a@corp.de"}));
  Fold(Contact({.system = "crm", .record = "c1", .email = "b@corp.de"}));
  Fold(Contact({.system = "crm",
                .record = "c1",
                .version = 2,
                .at_ms = kT0 + 2 * kMinute,
                .email = "b@corp.de",
                .linked = {"marketing:m1"}}));
  std::string survivor = IdOf("email:a@corp.de");
  ASSERT_EQ(IdOf("email:b@corp.de"), survivor);
  std::string absorbed = Customer(survivor).merged_customer_ids(0);

  auto entry = [&](const std::string& id, uint64_t n) {
    return Row<state::v1::TimelineEntry>(Table::kTimeline, TimelineKey(id, n));
  };
  EXPECT_EQ(Customer(survivor).timeline_length(), 3u);
  EXPECT_EQ(entry(survivor, 0).kind(), "customer_upserted");
  EXPECT_EQ(entry(survivor, 0).note(), "");
  EXPECT_EQ(entry(survivor, 1).note(), "stale: version 1 of marketing:m1 is not newer than 2");
  EXPECT_EQ(entry(survivor, 2).source_record_id(), "c1");
  EXPECT_THAT(entry(survivor, 2).merged_customer_ids(), ElementsAre(absorbed));
  // The absorbed customer's own history stays where it was.
  EXPECT_EQ(entry(absorbed, 0).source_record_id(), "c1");
  EXPECT_EQ(TimelineKey("c1", 12), "c1/0000000012");
}

TEST_F(FoldTest, FunnelCountsCurrentCustomersAndStageEntries) {
  auto count = [&](const std::string& key) {
    return std::stoll(state_.Get(Table::kFunnel, key).value_or("0"));
  };
  Fold(Contact({.record = "m1", .email = "a@corp.de", .stage = v1::LIFECYCLE_STAGE_LEAD}));
  Fold(Contact({.record = "m2", .email = "b@corp.de", .stage = v1::LIFECYCLE_STAGE_LEAD}));
  Fold(LeadStatus("crm", "s1", kT0 + kMinute, "a@corp.de", v1::LIFECYCLE_STAGE_MQL));
  EXPECT_EQ(count("current/lead"), 1);
  EXPECT_EQ(count("current/mql"), 1);
  EXPECT_EQ(count("entered/lead"), 2);
  EXPECT_EQ(count("entered/mql"), 1);
  // A merge leaves one customer in the funnel, at the surviving stage.
  Fold(Contact({.system = "crm",
                .record = "c9",
                .at_ms = kT0 + 2 * kMinute,
                .email = "a@corp.de",
                .linked = {"marketing:m2"}}));
  EXPECT_EQ(count("current/lead"), 0);
  EXPECT_EQ(count("current/mql"), 1);
  EXPECT_EQ(LiveCustomers().size(), 1u);
}

class FoldRulesTest : public FoldTest {
 protected:
  Outcome FoldWith(const v1::Event& event) {
    Outcome outcome = Apply(state_, event, rules_);
    state_.Write(outcome.changes);
    return outcome;
  }
  Rules rules_;
};

TEST_F(FoldRulesTest, PreferredSourceWinsOverNewerValuesUnlessBlank) {
  rules_.fields["company"] = ParseFieldRule("prefer crm");
  FoldWith(Contact(
      {.system = "marketing", .record = "m1", .email = "a@corp.de", .company = "Alt GmbH"}));
  CustomerState customer = Customer(IdOf("email:a@corp.de"));
  EXPECT_EQ(Field(customer, "company").value(), "Alt GmbH");
  FoldWith(Contact({.system = "crm",
                    .record = "c1",
                    .at_ms = kT0 + kMinute,
                    .email = "a@corp.de",
                    .company = "Neu AG"}));
  // A newer marketing value does not displace the CRM's.
  FoldWith(Contact({.system = "marketing",
                    .record = "m1",
                    .version = 2,
                    .at_ms = kT0 + 2 * kMinute,
                    .email = "a@corp.de",
                    .company = "Neuer KG"}));
  customer = Customer(IdOf("email:a@corp.de"));
  EXPECT_EQ(Field(customer, "company").value(), "Neu AG");
  EXPECT_EQ(Field(customer, "company").rule(), "prefer crm");
  // A blank CRM value does not count as the CRM having one.
  FoldWith(Contact({.system = "crm",
                    .record = "c1",
                    .version = 2,
                    .at_ms = kT0 + 3 * kMinute,
                    .email = "a@corp.de",
                    .company = ""}));
  FoldWith(Contact({.system = "marketing",
                    .record = "m1",
                    .version = 3,
                    .at_ms = kT0 + 4 * kMinute,
                    .email = "a@corp.de",
                    .company = "Neueste KG"}));
  EXPECT_EQ(Field(Customer(IdOf("email:a@corp.de")), "company").value(), "Neueste KG");
}

TEST_F(FoldRulesTest, OnlyAndIgnoreKeepOtherSourcesOut) {
  rules_.fields["company"] = ParseFieldRule("only crm");
  rules_.fields["first_name"] = ParseFieldRule("ignore");
  FoldWith(Contact({.system = "marketing",
                    .record = "m1",
                    .email = "a@corp.de",
                    .first_name = "Anna",
                    .company = "Alt GmbH"}));
  CustomerState customer = Customer(IdOf("email:a@corp.de"));
  for (const auto& field : customer.fields()) {
    EXPECT_NE(field.name(), "company");
    EXPECT_NE(field.name(), "first_name");
  }
  FoldWith(Contact({.system = "crm", .record = "c1", .email = "a@corp.de", .company = "Neu AG"}));
  EXPECT_EQ(Field(Customer(IdOf("email:a@corp.de")), "company").value(), "Neu AG");
  // The history still counts the events whose values were kept out.
  EXPECT_EQ(Customer(IdOf("email:a@corp.de")).applied_events(), 2u);
}

TEST(FieldRules, ParseAndText) {
  EXPECT_EQ(ParseFieldRule("newest").kind, FieldRule::Kind::kNewest);
  EXPECT_EQ(ParseFieldRule(" Prefer CRM, marketing ").Text(), "prefer crm marketing");
  EXPECT_EQ(ParseFieldRule("only crm").sources, std::vector<std::string>{"crm"});
  EXPECT_EQ(ParseFieldRule("ignore").kind, FieldRule::Kind::kIgnore);
  EXPECT_THROW(ParseFieldRule(""), std::invalid_argument);
  EXPECT_THROW(ParseFieldRule("prefer"), std::invalid_argument);
  EXPECT_THROW(ParseFieldRule("newest crm"), std::invalid_argument);
  EXPECT_THROW(ParseFieldRule("always crm"), std::invalid_argument);
}

TEST(FoldDeterminism, SameHistoryGivesIdenticalTables) {
  std::vector<v1::Event> events = History();
  MemoryState first, second;
  for (const auto& event : events) first.Write(Apply(first, event).changes);
  for (const auto& event : events) second.Write(Apply(second, event).changes);
  EXPECT_EQ(first.tables(), second.tables());
  EXPECT_EQ(first.Rows(Table::kEvents).size(), events.size() - 1);  // one duplicate
  EXPECT_FALSE(first.Rows(Table::kCustomers).empty());
}

TEST(FoldDeterminism, BatchingDoesNotChangeTheResult) {
  std::vector<v1::Event> events = History();
  MemoryState direct;
  for (const auto& event : events) direct.Write(Apply(direct, event).changes);
  const MemoryState::Tables one_batch = FoldInBatches(events, events.size());
  EXPECT_EQ(one_batch, direct.tables());
  for (size_t batch : {1, 2, 3, 4, 7})
    EXPECT_EQ(FoldInBatches(events, batch), one_batch) << "batch size " << batch;
}

}  // namespace
}  // namespace accord::fold
