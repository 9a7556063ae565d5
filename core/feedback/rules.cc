#include "core/feedback/rules.h"

namespace accord::feedback {

const std::vector<std::string>& FitFields() {
  static const std::vector<std::string> kFields = {"job_title", "company",  "city",
                                                   "country",   "email",    "lifecycle_stage",
                                                   "account",   "industry", "employees"};
  return kFields;
}

bool IsNumericFitField(const std::string& field) {
  return field == "employees";
}

}  // namespace accord::feedback
