#include "domain/events/echo.h"

#include <algorithm>
#include <cctype>

#include "domain/events/envelope.h"

namespace accord::events {

bool IsAccordsOwn(const v1::Event& event) {
  return event.origin() == v1::ORIGIN_ACCORD || event.source_system() == kAccordSystem;
}

bool IsAccordMarker(std::string_view marker) {
  return std::equal(marker.begin(), marker.end(), kAccordSystem.begin(), kAccordSystem.end(),
                    [](char given, char expected) {
                      return std::tolower(static_cast<unsigned char>(given)) == expected;
                    });
}

}  // namespace accord::events
