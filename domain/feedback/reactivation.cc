#include "domain/feedback/reactivation.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "domain/feedback/emit.h"
#include "domain/fold/codec.h"
#include "domain/fold/fold.h"

namespace accord::feedback {

namespace {

using state::v1::ScheduleClock;
using state::v1::ScheduleDay;
using state::v1::ScoreState;

constexpr int64_t kDayMs = 86'400'000;
constexpr std::string_view kClockKey = "clock";

std::string DayKey(int64_t day) {
  char key[24];
  std::snprintf(key, sizeof key, "%08lld", static_cast<long long>(day));
  return key;
}

template <typename Message>
Message LoadOr(const fold::StateReader& state, fold::Table table, std::string_view key) {
  auto bytes = state.Get(table, key);
  if (!bytes) return Message();
  return fold::DecodeState<Message>(*bytes, table, std::string(key));
}

int64_t UsualIntervalMs(const ScoreState& score) {
  if (score.purchases() < 2) return 0;
  return (score.last_purchase_ms() - score.first_purchase_ms()) / (score.purchases() - 1);
}

// When the customer will be overdue; 0 while its usual interval is unknown
// (too few purchases, or all on one day).
int64_t DueAt(const ScoreState& score, const ReactivationRules& rules) {
  const int64_t interval = UsualIntervalMs(score);
  if (score.purchases() < rules.min_purchases || interval < kDayMs) return 0;
  return score.last_purchase_ms() + interval * rules.overdue_permille / 1000;
}

// 5 for the lowest of the ascending `limits` the value stays within, down
// to 1 beyond the last (recency: fewer days is better).
int32_t ScoreWithin(int64_t value, const std::vector<int64_t>& limits) {
  for (size_t i = 0; i < limits.size(); ++i)
    if (value <= limits[i]) return static_cast<int32_t>(5 - i);
  return 1;
}

// 1 below the first of the ascending `thresholds`, up to 5 from the last.
int32_t ScoreFrom(int64_t value, const std::vector<int64_t>& thresholds) {
  int32_t score = 1;
  for (auto threshold : thresholds)
    if (value >= threshold) ++score;
  return std::min(score, 5);
}

std::string Days(int64_t ms) {
  const int64_t days = ms / kDayMs;
  return std::to_string(days) + (days == 1 ? " day" : " days");
}

v1::ReactivationCandidate Candidate(const ScoreState& score,
                                    const state::v1::CustomerState& customer, int64_t now,
                                    const ReactivationRules& rules) {
  v1::ReactivationCandidate candidate;
  const int64_t since = now - score.last_purchase_ms();
  const int64_t usual = UsualIntervalMs(score);
  candidate.set_days_since_last_purchase(since / kDayMs);
  candidate.set_usual_interval_days(usual / kDayMs);
  candidate.set_recency(ScoreWithin(since / kDayMs, rules.recency_days));
  candidate.set_frequency(ScoreFrom(score.purchases(), rules.frequency));
  candidate.set_monetary(ScoreFrom(score.purchase_minor(), rules.monetary_minor));
  candidate.add_reasons("no purchase for " + Days(since) + ", usually one every " + Days(usual) +
                        " (" + std::to_string(score.purchases()) + " purchases)");
  if (score.last_complaint_ms() > 0 && now - score.last_complaint_ms() <= rules.complaint_window_ms)
    candidate.add_reasons("complained " + Days(now - score.last_complaint_ms()) + " ago");
  if (!customer.open_tickets().empty()) {
    std::string tickets;
    for (const auto& ticket : customer.open_tickets())
      tickets += (tickets.empty() ? "" : ", ") + ticket;
    candidate.add_reasons("open support ticket" +
                          std::string(customer.open_tickets_size() > 1 ? "s " : " ") + tickets);
  }
  return candidate;
}

}  // namespace

void RecordPurchase(ScoreState& score, int64_t at_ms, int64_t amount_minor,
                    const ReactivationRules& rules) {
  if (score.purchases() == 0 || at_ms < score.first_purchase_ms())
    score.set_first_purchase_ms(at_ms);
  score.set_last_purchase_ms(std::max(score.last_purchase_ms(), at_ms));
  score.set_purchases(score.purchases() + 1);
  score.set_purchase_minor(score.purchase_minor() + amount_minor);
  // Bought again: whatever was announced is answered.
  score.clear_reactivation();
  score.set_reactivation_announced_ms(0);
  score.set_reactivation_due_ms(DueAt(score, rules));
}

void AbsorbPurchases(ScoreState& survivor, const ScoreState& merged,
                     const ReactivationRules& rules) {
  if (merged.purchases() == 0) return;
  if (survivor.purchases() == 0 || merged.first_purchase_ms() < survivor.first_purchase_ms())
    survivor.set_first_purchase_ms(merged.first_purchase_ms());
  survivor.set_last_purchase_ms(std::max(survivor.last_purchase_ms(), merged.last_purchase_ms()));
  survivor.set_purchases(survivor.purchases() + merged.purchases());
  survivor.set_purchase_minor(survivor.purchase_minor() + merged.purchase_minor());
  survivor.set_last_complaint_ms(
      std::max(survivor.last_complaint_ms(), merged.last_complaint_ms()));
  survivor.set_reactivation_due_ms(DueAt(survivor, rules));
}

void Schedule(const fold::StateReader& state, int64_t due_before, const ScoreState& score,
              std::vector<fold::Change>& changes) {
  const int64_t due = score.reactivation_due_ms();
  if (due == 0 || due == due_before) return;
  auto clock = LoadOr<ScheduleClock>(state, fold::Table::kSchedule, kClockKey);
  // A day the ticks are past is looked at by the next tick.
  const int64_t day = std::max(due / kDayMs, clock.last_tick_ms() / kDayMs);
  const std::string key = DayKey(day);
  auto bucket = LoadOr<ScheduleDay>(state, fold::Table::kSchedule, key);
  if (!fold::AddSorted(bucket.mutable_customer_ids(), score.customer_id())) return;
  changes.push_back({fold::Table::kSchedule, key, fold::EncodeState(bucket)});
  if (clock.earliest_due_day() == 0 || day < clock.earliest_due_day()) {
    clock.set_earliest_due_day(day);
    changes.push_back({fold::Table::kSchedule, std::string(kClockKey), fold::EncodeState(clock)});
  }
}

FeedbackOutcome FoldTick(const fold::StateReader& state, const v1::Event& tick,
                         const FeedbackRules& rules) {
  FeedbackOutcome outcome;
  const int64_t now = tick.occurred_at_ms();
  const int64_t today = now / kDayMs;
  auto clock = LoadOr<ScheduleClock>(state, fold::Table::kSchedule, kClockKey);
  // Ticks out of order (two services' clocks) never turn time back.
  if (now <= clock.last_tick_ms()) return outcome;
  if (clock.earliest_due_day() != 0) {
    // A customer can sit on two days this tick reaches (its due moved).
    std::set<std::string> announced;
    int64_t still_due_day = 0;
    for (int64_t day = clock.earliest_due_day(); day <= today; ++day) {
      const std::string key = DayKey(day);
      auto bytes = state.Get(fold::Table::kSchedule, key);
      if (!bytes) continue;
      auto bucket = fold::DecodeState<ScheduleDay>(*bytes, fold::Table::kSchedule, key);
      ScheduleDay later_today;
      for (const auto& customer_id : bucket.customer_ids()) {
        auto score_bytes = state.Get(fold::Table::kScores, customer_id);
        // Merged into another customer since: the survivor has its own day.
        if (!score_bytes) continue;
        auto score = fold::DecodeState<ScoreState>(*score_bytes, fold::Table::kScores, customer_id);
        // Bought again since it was put on this day, or announced already.
        if (score.reactivation_due_ms() == 0 || score.has_reactivation() ||
            announced.count(customer_id))
          continue;
        if (score.reactivation_due_ms() > now) {
          // Due later today: the next tick will tell. Due on another day:
          // that day lists it.
          if (score.reactivation_due_ms() / kDayMs == day)
            later_today.add_customer_ids(customer_id);
          continue;
        }
        auto customer = fold::LoadCustomer(state, customer_id);
        if (!customer || !customer->merged_into().empty() || !customer->merged_into_key().empty())
          continue;
        *score.mutable_reactivation() = Candidate(score, *customer, now, rules.reactivation);
        score.set_reactivation_announced_ms(now);
        announced.insert(customer_id);
        v1::Event candidate;
        *candidate.mutable_reactivation_candidate() = score.reactivation();
        outcome.emitted.push_back(StampFeedback(std::move(candidate), tick, now, customer_id,
                                                customer->home_key(), customer_id));
        outcome.changes.push_back({fold::Table::kScores, customer_id, fold::EncodeState(score)});
      }
      if (later_today.customer_ids().empty()) {
        outcome.changes.push_back({fold::Table::kSchedule, key, std::nullopt});
      } else {
        outcome.changes.push_back({fold::Table::kSchedule, key, fold::EncodeState(later_today)});
        still_due_day = day;
      }
    }
    clock.set_earliest_due_day(still_due_day != 0 ? still_due_day : today + 1);
  }
  clock.set_last_tick_ms(now);
  outcome.changes.push_back(
      {fold::Table::kSchedule, std::string(kClockKey), fold::EncodeState(clock)});
  return outcome;
}

}  // namespace accord::feedback
