#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "io/kafka/client.h"
#include "io/store/store.h"

namespace accord::replay {

// A replay cannot stop where it was asked to; the message says why.
class CutError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Parses --until-offsets, "events:0:1200,events:1:980,campaigns:0:7": per
// partition, the offset to stop before (a store's next offset to read). A stream may be named
// with the topic prefix ("accord.events:0:1200"), which is then dropped.
// Throws CutError naming the element that is not `stream:partition:offset`
// or that names one partition twice.
std::vector<store::PartitionOffset> ParseOffsetList(std::string_view text,
                                                    std::string_view topic_prefix);

// The same list as ParseOffsetList reads, from a store's offsets or a plan.
std::string FormatOffsetList(const std::vector<store::PartitionOffset>& cuts);

// Where a replay of `partitions` (every partition of the topics it folds)
// stops, per topic and partition: at each partition's end, or at the offset
// `cuts` names for it. Throws CutError when a partition's history is not
// whole any more (retention deleted its beginning), when `cuts` misses a
// partition or names one the topics do not have, or an offset past the end.
std::map<std::pair<std::string, int32_t>, int64_t> PlanEndOffsets(
    const std::vector<kafka::PartitionRange>& partitions,
    const std::optional<std::vector<store::PartitionOffset>>& cuts, std::string_view topic_prefix);

}  // namespace accord::replay
