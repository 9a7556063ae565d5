#pragma once

#include <nlohmann/json.hpp>

#include "accord/state/v1/state.pb.h"

namespace accord::query {

// The unified customer as users see it: each field with its value and where
// it came from.
nlohmann::ordered_json CustomerJson(const state::v1::CustomerState& customer);
nlohmann::ordered_json DealJson(const state::v1::DealState& deal);

}  // namespace accord::query
