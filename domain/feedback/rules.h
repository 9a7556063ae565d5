#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "accord/v1/campaign.pb.h"

namespace accord::feedback {

// One fit rule: points for a customer whose field matches. Text is compared
// in lower case, trimmed.
struct FitRule {
  // A unified customer field: job_title, company, city, country, email
  // (matched against its domain), lifecycle_stage, account; or one of the
  // customer's company (its account, from the CRM): industry, employees.
  std::string field;
  enum class Match {
    kIn,        // the whole value is one of `values`
    kContains,  // the value contains one of `values`
    kRange,     // a number: at least `at_least`, below `below` (either may be unset)
  };
  Match match = Match::kIn;
  std::vector<std::string> values = {};
  std::optional<int64_t> at_least = std::nullopt;
  std::optional<int64_t> below = std::nullopt;
  int32_t points = 0;
};

// The fields fit rules may name, and those of them that are numbers.
const std::vector<std::string>& FitFields();
bool IsNumericFitField(const std::string& field);

// How a lead score is made (docs/feedback.md): fit plus decaying engagement
// plus negative signals that do not decay.
struct ScoreRules {
  std::vector<FitRule> fit;
  // Points per engagement, decayed with `half_life_ms`. Kinds not listed
  // score nothing.
  std::map<v1::EngagementKind, int32_t> engagement = {{v1::ENGAGEMENT_KIND_OPENED, 1},
                                                      {v1::ENGAGEMENT_KIND_CLICKED, 3},
                                                      {v1::ENGAGEMENT_KIND_PAGE_VISITED, 2},
                                                      {v1::ENGAGEMENT_KIND_FORM_SUBMITTED, 10},
                                                      {v1::ENGAGEMENT_KIND_WEBINAR_ATTENDED, 15}};
  // Points (zero or negative) per engagement that speaks against the lead.
  std::map<v1::EngagementKind, int32_t> negative = {{v1::ENGAGEMENT_KIND_UNSUBSCRIBED, -20},
                                                    {v1::ENGAGEMENT_KIND_BOUNCED, -10}};
  // Points (zero or negative) when sales rejects the lead, by reason code;
  // "default" for the codes not listed.
  std::map<std::string, int32_t> lead_rejected = {{"default", -20}};
  int64_t half_life_ms = 30LL * 24 * 3600 * 1000;
  // A score is emitted when it moved by more than this since the last one.
  int32_t step = 5;
};

// When a lead is offered to sales (LeadQualified): every threshold passes.
struct HandoverRules {
  int32_t min_score = 50;
  int32_t min_fit = 10;
  // Engagement points (undecayed) within the last `engagement_window_ms`.
  int32_t min_engagement = 10;
  int64_t engagement_window_ms = 30LL * 24 * 3600 * 1000;
};

// When a customer is contacted too often: more than `max_attempts` contact
// attempts from either side (marketing e-mails sent, sales' outbound calls,
// e-mails and meetings) within `window_ms` pause contact for `pause_ms`.
struct PauseRules {
  int32_t max_attempts = 6;
  int64_t window_ms = 7LL * 24 * 3600 * 1000;
  int64_t pause_ms = 14LL * 24 * 3600 * 1000;
};

// How deals and contacts are credited to the campaigns that touched them
// (docs/feedback.md, "Campaign effectiveness").
struct AttributionRules {
  // Engagement kinds that count as a campaign touching a contact.
  std::set<v1::EngagementKind> touch_kinds = {
      v1::ENGAGEMENT_KIND_OPENED, v1::ENGAGEMENT_KIND_CLICKED, v1::ENGAGEMENT_KIND_FORM_SUBMITTED,
      v1::ENGAGEMENT_KIND_WEBINAR_ATTENDED, v1::ENGAGEMENT_KIND_PAGE_VISITED};
  // Touches up to this long before a deal is created share its credit.
  int64_t window_ms = 90LL * 24 * 3600 * 1000;
  // Deals in this currency are credited; amounts are never converted.
  std::string currency = "EUR";
};

// A short fingerprint of the attribution rules (and of how credits are
// computed): credits carry it, and only credits under the same rules add up.
std::string AttributionFingerprint(const AttributionRules& rules);

// When a customer who bought before is due to be won back (docs/feedback.md,
// "Reactivation candidates").
struct ReactivationRules {
  // Purchases (orders and won deals) needed to know a usual interval.
  int32_t min_purchases = 2;
  // Due when the time since the last purchase exceeds the usual interval by
  // this factor, in thousandths (1500: one and a half times).
  int64_t overdue_permille = 1500;
  // A complaint this recent is named as a reason.
  int64_t complaint_window_ms = 90LL * 24 * 3600 * 1000;
  // RFM scores: ascending thresholds for the scores 5 down to 2 (recency:
  // days since the last purchase at most this) and 2 up to 5 (frequency:
  // purchases at least this; monetary: minor units of the attribution
  // currency at least this); 1 otherwise.
  std::vector<int64_t> recency_days = {30, 90, 180, 365};
  std::vector<int64_t> frequency = {2, 3, 5, 10};
  std::vector<int64_t> monetary_minor = {10'000, 50'000, 100'000, 500'000};
};

// Part of the feedback fold's input: a state is rebuilt by replay after the
// rules change.
struct FeedbackRules {
  ScoreRules score;
  HandoverRules handover;
  PauseRules pause;
  AttributionRules attribution;
  ReactivationRules reactivation;
};

}  // namespace accord::feedback
