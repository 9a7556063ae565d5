#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "accord/v1/event.pb.h"

namespace accord::feedback {

// Fills the envelope of an event the feedback fold emits because it folded
// `cause`: source `accord`, origin ORIGIN_ACCORD, the cause's time and
// correlation. Its id derives from the cause's id, `discriminator` (what
// else tells the events one cause makes apart: the customer, the campaign)
// and the payload kind, so folding the same history again emits the same id.
v1::Event StampFeedback(v1::Event derived, const v1::Event& cause, int64_t occurred_at_ms,
                        std::string record_id, std::string key, std::string_view discriminator);

// A tick for one partition of the events topic at `at_ms`. Its id derives
// from the partition and the time only, so two services ticking the same
// moment publish one tick as far as the fold is concerned.
v1::Event MakeTick(int32_t partition, int64_t at_ms);

}  // namespace accord::feedback
