#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace accord::fold {

// How the value of one customer field is chosen when sources disagree: the
// sync rules IT teams know from the common tools. In every rule, a newer
// version of the same source record replaces an older one, and an older one
// never replaces a newer one.
struct FieldRule {
  enum class Kind {
    kNewest,  // "newest": two-way, the latest occurred-at wins
    kPrefer,  // "prefer A B": A's value whenever A has one, else B's, else the newest
    kOnly,    // "only A": take the field from A alone; other systems never set it
    kIgnore,  // "ignore": not synchronised; the field stays out of the unified customer
  };
  Kind kind = Kind::kNewest;
  // Source systems: priority order for kPrefer, the accepted ones for kOnly.
  std::vector<std::string> sources;

  // How the rule is written, e.g. "prefer crm marketing"; also the name the
  // fold records with a value the rule decided.
  std::string Text() const;
  bool operator==(const FieldRule&) const = default;
};

// Parses "newest", "prefer crm marketing", "only crm", "ignore" (sources
// separated by spaces or commas, compared in lower case); throws
// std::invalid_argument with the reason.
FieldRule ParseFieldRule(std::string_view text);

// The rules of all fields. Rules are part of the fold's input: changing them
// changes the state a history folds to, so a state is rebuilt by replay after
// a change.
struct Rules {
  FieldRule default_rule;
  std::map<std::string, FieldRule, std::less<>> fields;

  const FieldRule& For(std::string_view field) const {
    auto it = fields.find(field);
    return it == fields.end() ? default_rule : it->second;
  }
};

}  // namespace accord::fold
