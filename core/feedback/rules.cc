#include "core/feedback/rules.h"

namespace accord::feedback {

const std::vector<std::string>& FitFields() {
  static const std::vector<std::string> kFields = {
      "job_title", "company", "city", "country", "email", "lifecycle_stage", "account"};
  return kFields;
}

}  // namespace accord::feedback
