#include "domain/events/echo.h"

#include <gtest/gtest.h>

#include "domain/events/envelope.h"

namespace accord::events {
namespace {

TEST(EchoSuppression, AccordsOwnEventsAreToldByOriginOrSource) {
  v1::Event event;
  event.set_source_system("crm");
  EXPECT_FALSE(IsAccordsOwn(event));
  event.set_origin(v1::ORIGIN_ACCORD);
  EXPECT_TRUE(IsAccordsOwn(event));
  event.clear_origin();
  event.set_source_system(std::string(kAccordSystem));
  EXPECT_TRUE(IsAccordsOwn(event));
}

TEST(EchoSuppression, AccordMarkersAreReadInAnyCase) {
  EXPECT_TRUE(IsAccordMarker("accord"));
  EXPECT_TRUE(IsAccordMarker("Accord"));
  EXPECT_FALSE(IsAccordMarker("accord-sync"));
  EXPECT_FALSE(IsAccordMarker("CRM_UI"));
  EXPECT_FALSE(IsAccordMarker(""));
}

}  // namespace
}  // namespace accord::events
