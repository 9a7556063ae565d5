// libFuzzer target: arbitrary bytes as `accord replay --until-offsets`. The
// list either parses or is refused with replay::CutError; a list that parses
// prints back to text that parses to the same list, and a plan from it never
// stops a partition past its end. Anything else aborts the run.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "services/replay/cut.h"

namespace {

namespace replay = accord::replay;

bool SameCuts(const std::vector<accord::store::PartitionOffset>& a,
              const std::vector<accord::store::PartitionOffset>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].stream != b[i].stream || a[i].partition != b[i].partition ||
        a[i].next_offset != b[i].next_offset)
      return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::vector<accord::kafka::PartitionRange> partitions = {
      {"accord.events", 0, 0, 120}, {"accord.events", 1, 0, 0}, {"accord.campaigns", 0, 0, 7}};
  std::vector<accord::store::PartitionOffset> cuts;
  try {
    cuts = replay::ParseOffsetList(text, "accord");
  } catch (const replay::CutError&) {
    return 0;
  }
  if (!SameCuts(replay::ParseOffsetList(replay::FormatOffsetList(cuts), "accord"), cuts))
    std::abort();
  try {
    for (const auto& [tp, end] : replay::PlanEndOffsets(partitions, cuts, "accord")) {
      bool within = false;
      for (const auto& range : partitions)
        within = within || (range.topic == tp.first && range.partition == tp.second &&
                            end >= range.low && end <= range.high);
      if (!within) std::abort();
    }
  } catch (const replay::CutError&) {
  }
  return 0;
}
