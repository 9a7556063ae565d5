#include "domain/feedback/rules.h"

#include "domain/util/hash.h"

namespace accord::feedback {

const std::vector<std::string>& FitFields() {
  static const std::vector<std::string> kFields = {"job_title", "company",  "city",
                                                   "country",   "email",    "lifecycle_stage",
                                                   "account",   "industry", "employees"};
  return kFields;
}

std::string AttributionFingerprint(const AttributionRules& rules) {
  // Bumped when the computation of credits changes.
  std::string text = "credits-2";
  for (auto kind : rules.touch_kinds) text += "|" + std::to_string(kind);
  text += "|" + std::to_string(rules.window_ms) + "|" + rules.currency;
  return Sha256Hex(text).substr(0, 16);
}

bool IsNumericFitField(const std::string& field) {
  return field == "employees";
}

}  // namespace accord::feedback
