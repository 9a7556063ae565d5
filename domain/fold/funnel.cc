// The funnel: how many customers are in each lifecycle stage now, and how
// often customers entered each.
#include "domain/events/envelope.h"
#include "domain/fold/folding.h"

namespace accord::fold::folding {

// Current customers per stage (fold.funnel_current holds this event's
// changes), and how often customers entered each stage: `entered` is the
// stage the surviving customer is in now, if any. A merge enters no stage
// that one of the merged customers was in already.
void WriteFunnel(EventFold& fold, std::optional<v1::LifecycleStage> entered) {
  std::map<std::string, int64_t> deltas;
  for (const auto& [stage, delta] : fold.funnel_current)
    if (delta != 0) deltas["current/" + events::LifecycleStageName(stage)] += delta;
  if (entered && !fold.stages_before.count(*entered) && *entered != v1::LIFECYCLE_STAGE_UNSPECIFIED)
    ++deltas["entered/" + events::LifecycleStageName(*entered)];
  for (const auto& [key, delta] : deltas) {
    auto stored = fold.state.Get(Table::kFunnel, key);
    int64_t count = (stored ? std::stoll(*stored) : 0) + delta;
    fold.PutRaw(Table::kFunnel, key, std::to_string(count));
  }
}

}  // namespace accord::fold::folding
