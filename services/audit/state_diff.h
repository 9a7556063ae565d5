#pragma once

#include <string>
#include <vector>

#include "services/query/state_query.h"

namespace accord::audit {

// One logical difference between two states: what it is about (a customer,
// a deal, the funnel), which of its fields, and the value on each side
// ("(none)" where a side lacks it).
struct Difference {
  std::string subject;
  std::string field;
  std::string a;
  std::string b;
};

// The logical differences between two states, in a stable order: customers
// by id (their fields with value and source, lifecycle stage, aliases,
// events applied), deals by key (customer, stage, amount), then the funnel.
// Shards do not matter: instances that split the partitions differently,
// or a replay and the live projection, compare equal when they hold the
// same customers.
std::vector<Difference> DiffStates(const query::StateQuery& a, const query::StateQuery& b);

}  // namespace accord::audit
