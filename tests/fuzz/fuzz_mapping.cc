// libFuzzer target: arbitrary bytes as a mapping file. Parse may refuse it
// only with connectors::MappingError, whose message names the file and line;
// a mapping it accepts maps records with every column empty and every column
// "1" without crashing, each to an event or a rejection with a reason.

#include <cstddef>
#include <cstdint>
#include <string>

#include "connectors/mapping/mapping.h"
#include "tests/fuzz/mapped_records.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace connectors = accord::connectors;
  std::optional<connectors::Mapping> mapping;
  try {
    mapping = connectors::Mapping::Parse(
        std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.yaml");
  } catch (const connectors::MappingError& e) {
    if (!std::string_view(e.what()).starts_with("fuzz.yaml:"))
      accord::fuzzing::Fail(std::string("error without file and line: ") + e.what());
    return 0;
  }
  for (const std::optional<std::string>& value :
       {std::optional<std::string>(), std::optional<std::string>("1")}) {
    std::vector<std::optional<std::string>> values(mapping->columns().size(), value);
    auto result = mapping->Map(values, 1'700'000'000'000, 1'700'000'000'000);
    if (!result.event && !result.own_write && result.reason.empty())
      accord::fuzzing::Fail("rejection without a reason");
  }
  return 0;
}
