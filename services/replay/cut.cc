#include "services/replay/cut.h"

#include <charconv>
#include <set>

namespace accord::replay {
namespace {

template <typename Number>
std::optional<Number> ParseNumber(std::string_view text) {
  Number value{};
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

std::string StreamName(std::string_view topic, std::string_view topic_prefix) {
  if (topic.size() > topic_prefix.size() + 1 && topic.starts_with(topic_prefix) &&
      topic[topic_prefix.size()] == '.')
    topic.remove_prefix(topic_prefix.size() + 1);
  return std::string(topic);
}

std::string Describe(const std::string& stream, int32_t partition) {
  return stream + ":" + std::to_string(partition);
}

}  // namespace

std::vector<store::PartitionOffset> ParseOffsetList(std::string_view text,
                                                    std::string_view topic_prefix) {
  std::vector<store::PartitionOffset> cuts;
  std::set<std::pair<std::string, int32_t>> seen;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view element = text.substr(start, comma - start);
    start = comma + 1;
    // Topic names hold no ':', so the last two split off the numbers.
    const size_t second = element.rfind(':');
    const size_t first =
        second == std::string_view::npos || second == 0 ? second : element.rfind(':', second - 1);
    if (first == std::string_view::npos || first == 0)
      throw CutError("--until-offsets: '" + std::string(element) +
                     "' is not stream:partition:offset (e.g. events:0:1200)");
    auto partition = ParseNumber<int32_t>(element.substr(first + 1, second - first - 1));
    auto offset = ParseNumber<int64_t>(element.substr(second + 1));
    if (!partition || !offset)
      throw CutError("--until-offsets: '" + std::string(element) +
                     "' needs a partition and an offset that are whole numbers, 0 or more");
    store::PartitionOffset cut{StreamName(element.substr(0, first), topic_prefix), *partition,
                               *offset};
    // Streams are topic names without the prefix ("events"); one with a dot
    // left is another prefix's topic, or the prefix named twice.
    if (cut.stream.find('.') != std::string::npos)
      throw CutError("--until-offsets: '" + std::string(element) + "' names no stream of " +
                     std::string(topic_prefix) + " (events, campaigns)");
    if (!seen.emplace(cut.stream, cut.partition).second)
      throw CutError("--until-offsets names " + Describe(cut.stream, cut.partition) + " twice");
    cuts.push_back(std::move(cut));
  }
  return cuts;
}

std::string FormatOffsetList(const std::vector<store::PartitionOffset>& cuts) {
  std::string text;
  for (const auto& cut : cuts) {
    if (!text.empty()) text += ',';
    text += Describe(cut.stream, cut.partition) + ":" + std::to_string(cut.next_offset);
  }
  return text;
}

std::map<std::pair<std::string, int32_t>, int64_t> PlanEndOffsets(
    const std::vector<kafka::PartitionRange>& partitions,
    const std::optional<std::vector<store::PartitionOffset>>& cuts, std::string_view topic_prefix) {
  std::map<std::pair<std::string, int32_t>, int64_t> named;
  if (cuts)
    for (const auto& cut : *cuts) named[{cut.stream, cut.partition}] = cut.next_offset;
  std::map<std::pair<std::string, int32_t>, int64_t> ends;
  std::vector<std::string> missing;
  for (const auto& range : partitions) {
    const std::string stream = StreamName(range.topic, topic_prefix);
    if (range.low > 0)
      throw CutError(range.topic + "[" + std::to_string(range.partition) + "] starts at offset " +
                     std::to_string(range.low) +
                     ": retention deleted the history before it, and a replay needs all of it "
                     "(Accord creates its topics to keep every message; see docs/events.md)");
    int64_t end = range.high;
    if (cuts) {
      auto cut = named.find({stream, range.partition});
      if (cut == named.end()) {
        missing.push_back(Describe(stream, range.partition));
        continue;
      }
      if (cut->second > range.high)
        throw CutError("--until-offsets: " + Describe(stream, range.partition) + " holds offsets " +
                       "below " + std::to_string(range.high) + ", not " +
                       std::to_string(cut->second));
      end = cut->second;
      named.erase(cut);
    }
    ends[{range.topic, range.partition}] = end;
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& partition : missing) list += (list.empty() ? "" : ", ") + partition;
    throw CutError("--until-offsets names no offset for " + list +
                   "; give every partition (0 to fold none of it)");
  }
  if (!named.empty())
    throw CutError("--until-offsets: there is no partition " +
                   Describe(named.begin()->first.first, named.begin()->first.second));
  return ends;
}

}  // namespace accord::replay
