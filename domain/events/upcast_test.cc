#include "domain/events/upcast.h"

#include <gtest/gtest.h>

#include "domain/events/envelope.h"

namespace accord::events {
namespace {

v1::Event CustomerFrom(std::string_view country, uint32_t version) {
  v1::Event event;
  event.mutable_customer_upserted()->set_country(std::string(country));
  event.set_schema_version(version);
  return event;
}

TEST(Upcast, VersionOneCountriesBecomeCodes) {
  for (const auto& [written, code] :
       std::vector<std::pair<std::string, std::string>>{{"Deutschland", "DE"},
                                                        {" germany ", "DE"},
                                                        {"DEU", "DE"},
                                                        {"Österreich", "AT"},
                                                        {"Schweiz", "CH"},
                                                        {"ch", "CH"},
                                                        {"United Kingdom", "GB"},
                                                        {"Atlantis", "Atlantis"},
                                                        {"", ""}}) {
    auto event = CustomerFrom(written, 1);
    Upcast(event);
    EXPECT_EQ(event.customer_upserted().country(), code) << written;
    EXPECT_EQ(event.schema_version(), kCurrentSchemaVersion);
  }
}

TEST(Upcast, CurrentEventsAndEventsWithoutAVersionStayAsTheyAre) {
  auto current = CustomerFrom("Deutschland", kCurrentSchemaVersion);
  Upcast(current);
  EXPECT_EQ(current.customer_upserted().country(), "Deutschland");
  auto unversioned = CustomerFrom("Deutschland", 0);
  Upcast(unversioned);
  EXPECT_EQ(unversioned.schema_version(), 0u);
  EXPECT_EQ(unversioned.customer_upserted().country(), "Deutschland");
}

TEST(Upcast, AForwardedEventIsBroughtUpToo) {
  v1::Event forwarded;
  forwarded.set_schema_version(1);
  *forwarded.mutable_event_forwarded()->mutable_event() = CustomerFrom("Schweiz", 1);
  Upcast(forwarded);
  EXPECT_EQ(forwarded.event_forwarded().event().customer_upserted().country(), "CH");
  EXPECT_EQ(forwarded.event_forwarded().event().schema_version(), kCurrentSchemaVersion);
}

TEST(Upcast, ConnectorsWriteTheCurrentMeaning) {
  v1::Event event;
  event.mutable_customer_upserted()->set_country("Deutschland");
  StampEnvelope(event, {"crm", "k1", 1, 1741944600000});
  EXPECT_EQ(event.schema_version(), kCurrentSchemaVersion);
  EXPECT_EQ(event.customer_upserted().country(), "DE");
}

}  // namespace
}  // namespace accord::events
