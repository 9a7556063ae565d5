#include "domain/feedback/score.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include "accord/state/v1/state.pb.h"
#include "domain/events/envelope.h"
#include "domain/feedback/attribution.h"
#include "domain/feedback/emit.h"
#include "domain/feedback/reactivation.h"
#include "domain/fold/codec.h"
#include "domain/fold/fold.h"

namespace accord::feedback {

namespace {

using state::v1::CustomerState;
using state::v1::ScoreState;

std::string Lower(std::string_view text) {
  const auto begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return "";
  text = text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A field a fit rule names, of the customer or of its company (`account`,
// the shard's copy of the CRM's account).
std::string FieldValue(const CustomerState& customer, const v1::AccountProfile& account,
                       const std::string& name) {
  if (name == "lifecycle_stage") return events::LifecycleStageName(customer.lifecycle_stage());
  if (name == "industry") return account.industry();
  if (name == "employees")
    return account.employees() > 0 ? std::to_string(account.employees()) : "";
  for (const auto& field : customer.fields()) {
    if (field.name() != name) continue;
    // An address's domain is what says something about the company.
    if (name == "email") return field.value().substr(field.value().find('@') + 1);
    return field.value();
  }
  return "";
}

bool Matches(const FitRule& rule, const std::string& value) {
  if (value.empty()) return false;
  if (rule.match == FitRule::Match::kRange) {
    const int64_t number = std::stoll(value);
    return (!rule.at_least || number >= *rule.at_least) && (!rule.below || number < *rule.below);
  }
  return std::any_of(rule.values.begin(), rule.values.end(), [&](const std::string& wanted) {
    return rule.match == FitRule::Match::kIn ? value == wanted
                                             : value.find(wanted) != std::string::npos;
  });
}

// Points decayed over `age_ms` with the half-life: halved once per half-life.
double Decay(double points, int64_t age_ms, int64_t half_life_ms) {
  return points * std::exp2(-static_cast<double>(age_ms) / static_cast<double>(half_life_ms));
}

std::string Signed(int32_t points) {
  return (points >= 0 ? "+" : "") + std::to_string(points);
}

class Scorer {
 public:
  Scorer(const fold::StateReader& state, const v1::Event& envelope, const std::string& customer_id,
         const FeedbackRules& rules)
      : state_(state),
        envelope_(envelope),
        event_(envelope.has_event_forwarded() ? envelope.event_forwarded().event() : envelope),
        customer_id_(customer_id),
        rules_(rules) {}

  FeedbackOutcome Run() {
    auto customer = fold::LoadCustomer(state_, customer_id_);
    // Gone, or merged into another since it was listed (an account's
    // customers, a schedule day).
    if (!customer || customer->customer_id() != customer_id_ || !customer->merged_into().empty() ||
        !customer->merged_into_key().empty())
      return {};
    FeedbackOutcome outcome;
    ScoreState score = LoadScore(customer_id_).value_or(ScoreState());
    score.set_customer_id(customer_id_);
    const int64_t due_before = score.reactivation_due_ms();
    const int32_t fit_before = score.fit();
    const int32_t score_before = score.score();
    // The service's own messages (a company's update, a score moving in)
    // say nothing of the customer's time, and are keyed otherwise.
    const bool its_own = !events::IsFeedbackInput(event_);
    const int64_t at = its_own ? event_.occurred_at_ms() : score.as_of_ms();
    emit_key_ = its_own ? event_.customer_key() : customer->home_key();
    int64_t now = std::max(score.as_of_ms(), at);
    DecayTo(score, now);
    // Customers merged into this one bring their scores along (within the
    // shard; a customer moved in from another shard starts from its events).
    for (const auto& merged_id : customer->merged_customer_ids()) {
      auto merged = LoadScore(merged_id);
      if (!merged) continue;
      now = std::max(now, merged->as_of_ms());
      DecayTo(score, now);
      DecayTo(*merged, now);
      Absorb(score, *merged);
      AbsorbAttribution(score, *merged, rules_.attribution, credits_);
      AbsorbPurchases(score, *merged, rules_.reactivation);
      outcome.changes.push_back({fold::Table::kScores, merged_id, std::nullopt});
    }

    FoldSignal(score, at, now);
    FoldAttributionAndPurchases(score, at);
    auto& recent = *score.mutable_recent();
    const int64_t window_start = now - rules_.handover.engagement_window_ms;
    recent.erase(std::remove_if(recent.begin(), recent.end(),
                                [&](const auto& entry) { return entry.at_ms() < window_start; }),
                 recent.end());

    // The score's parts as of now; the state keeps them for the query API.
    auto& components = *score.mutable_components();
    components.Clear();
    int32_t fit = 0;
    auto add = [&](std::string name, int32_t points, std::string reason) {
      auto* component = components.Add();
      component->set_name(std::move(name));
      component->set_points(points);
      component->set_reason(std::move(reason));
    };
    const auto account = JoinAccount(*customer, score, outcome.changes);
    for (const auto& rule : rules_.score.fit) {
      const std::string value = Lower(FieldValue(*customer, account, rule.field));
      if (!Matches(rule, value)) continue;
      fit += rule.points;
      add("fit." + rule.field, rule.points, rule.field + " \"" + value + "\"");
    }
    const auto engagement = static_cast<int32_t>(std::llround(score.engagement_milli() / 1000.0));
    add("engagement", engagement,
        "decayed with a half-life of " + std::to_string(rules_.score.half_life_ms / 86'400'000) +
            " days");
    if (score.negative() != 0)
      add("negative", score.negative(), "unsubscribes, bounces and rejections; they do not decay");
    const int32_t total = fit + engagement + score.negative();
    if (event_.has_account_profile())
      Moved(fit - fit_before,
            "fit.account (" + event_.account_profile().account_key() + " updated)");
    else if (event_.has_score_moved())
      Moved(total - score_before, "merged (" + event_.score_moved().score().customer_id() +
                                      " moved in from another shard)");
    score.set_score(total);
    score.set_fit(fit);
    score.set_engagement(engagement);

    if (std::abs(total - score.last_score()) > rules_.score.step) {
      v1::Event updated;
      auto* payload = updated.mutable_score_updated();
      payload->set_score(total);
      payload->set_fit(fit);
      payload->set_engagement(engagement);
      payload->set_previous_score(score.last_score());
      *payload->mutable_components() = components;
      if (!moved_by_.empty()) {
        auto* cause = payload->add_components();
        cause->set_name("cause");
        cause->set_points(moved_points_);
        cause->set_reason(moved_by_);
      }
      Emit(std::move(updated), outcome);
      score.set_last_score(total);
      score.set_emitted(true);
    }
    MaybeHandOver(*customer, score, total, fit, outcome);
    FoldContactAttempt(score, at, outcome);
    Schedule(state_, due_before, score, outcome.changes);
    for (auto& credit : credits_.Take()) {
      const std::string campaign_id = credit.campaign_id();
      // Under other rules, the same cause makes another credit.
      const std::string credit_rules = credit.rules();
      v1::Event carried;
      *carried.mutable_attribution_credit() = std::move(credit);
      outcome.internal.push_back(
          StampFeedback(std::move(carried), envelope_, at, customer_id_, "campaign:" + campaign_id,
                        customer_id_ + "\n" + campaign_id + "\n" + credit_rules));
    }
    outcome.changes.push_back({fold::Table::kScores, customer_id_, fold::EncodeState(score)});
    return outcome;
  }

 private:
  std::optional<ScoreState> LoadScore(const std::string& id) const {
    auto bytes = state_.Get(fold::Table::kScores, id);
    if (!bytes) return std::nullopt;
    return fold::DecodeState<ScoreState>(*bytes, fold::Table::kScores, id);
  }

  // The customer's company as this shard knows it; keeps the customer
  // listed under it, so that an update of the company rescores it.
  v1::AccountProfile JoinAccount(const CustomerState& customer, ScoreState& score,
                                 std::vector<fold::Change>& changes) const {
    const std::string key = FieldValue(customer, {}, "account");
    auto entry = LoadAccount(key);
    if (key == score.account_key()) return entry.profile();
    if (!score.account_key().empty()) {
      auto left = LoadAccount(score.account_key());
      auto& ids = *left.mutable_customer_ids();
      ids.erase(std::remove(ids.begin(), ids.end(), customer_id_), ids.end());
      changes.push_back(
          {fold::Table::kAccountProfiles, score.account_key(), fold::EncodeState(left)});
    }
    if (!key.empty()) {
      fold::AddSorted(entry.mutable_customer_ids(), customer_id_);
      changes.push_back({fold::Table::kAccountProfiles, key, fold::EncodeState(entry)});
    }
    score.set_account_key(key);
    return entry.profile();
  }

  state::v1::AccountProfileState LoadAccount(const std::string& key) const {
    if (key.empty()) return {};
    auto bytes = state_.Get(fold::Table::kAccountProfiles, key);
    if (!bytes) return {};
    return fold::DecodeState<state::v1::AccountProfileState>(*bytes, fold::Table::kAccountProfiles,
                                                             key);
  }

  void DecayTo(ScoreState& score, int64_t now) const {
    score.set_engagement_milli(
        std::llround(Decay(static_cast<double>(score.engagement_milli()), now - score.as_of_ms(),
                           rules_.score.half_life_ms)));
    score.set_as_of_ms(now);
  }

  // Both as of the same time: what either did counts for the one customer.
  static void Absorb(ScoreState& score, const ScoreState& merged) {
    score.set_engagement_milli(score.engagement_milli() + merged.engagement_milli());
    score.set_negative(score.negative() + merged.negative());
    score.set_rejections(score.rejections() + merged.rejections());
    score.set_handed_over(score.handed_over() || merged.handed_over());
    score.set_paused_until_ms(std::max(score.paused_until_ms(), merged.paused_until_ms()));
    score.mutable_recent()->MergeFrom(merged.recent());
    std::stable_sort(score.mutable_recent()->begin(), score.mutable_recent()->end(),
                     [](const auto& a, const auto& b) { return a.at_ms() < b.at_ms(); });
    score.mutable_attempts()->MergeFrom(merged.attempts());
    std::stable_sort(score.mutable_attempts()->begin(), score.mutable_attempts()->end(),
                     [](const auto& a, const auto& b) { return a.at_ms() < b.at_ms(); });
    if (!score.emitted() && merged.emitted()) {
      score.set_last_score(merged.last_score());
      score.set_emitted(true);
    }
  }

  // What this event says about the lead.
  void FoldSignal(ScoreState& score, int64_t at, int64_t now) {
    if (event_.has_campaign_engagement()) {
      const auto kind = event_.campaign_engagement().kind();
      const std::string name = events::EngagementKindName(kind);
      if (auto it = rules_.score.engagement.find(kind); it != rules_.score.engagement.end()) {
        // An engagement older than the score's "now" arrives already decayed.
        score.set_engagement_milli(
            score.engagement_milli() +
            std::llround(Decay(it->second * 1000.0, now - at, rules_.score.half_life_ms)));
        if (at >= now - rules_.handover.engagement_window_ms) {
          auto* entry = score.add_recent();
          entry->set_at_ms(at);
          entry->set_points(it->second);
          std::stable_sort(score.mutable_recent()->begin(), score.mutable_recent()->end(),
                           [](const auto& a, const auto& b) { return a.at_ms() < b.at_ms(); });
        }
        Moved(it->second, "engagement." + name + " (campaign " +
                              event_.campaign_engagement().campaign_id() + ")");
      } else if (auto neg = rules_.score.negative.find(kind); neg != rules_.score.negative.end()) {
        score.set_negative(score.negative() + neg->second);
        Moved(neg->second, "negative." + name + " (campaign " +
                               event_.campaign_engagement().campaign_id() + ")");
      }
    } else if (event_.has_lead_decision() && !event_.lead_decision().accepted()) {
      const std::string& code = event_.lead_decision().reason_code();
      auto it = rules_.score.lead_rejected.find(code);
      if (it == rules_.score.lead_rejected.end()) it = rules_.score.lead_rejected.find("default");
      const int32_t points = it == rules_.score.lead_rejected.end() ? 0 : it->second;
      score.set_negative(score.negative() + points);
      score.set_rejections(score.rejections() + 1);
      // Back with marketing: it may be offered again, but only on
      // engagement that comes after the rejection.
      score.set_handed_over(false);
      score.clear_recent();
      Moved(points, "negative.lead_rejected (" + (code.empty() ? "no reason given" : code) + ")");
    }
  }

  // Campaign touches and deals (attribution), purchases and complaints
  // (reactivation).
  void FoldAttributionAndPurchases(ScoreState& score, int64_t at) {
    const auto& currency = rules_.attribution.currency;
    if (event_.has_campaign_engagement()) {
      const auto& engagement = event_.campaign_engagement();
      if (rules_.attribution.touch_kinds.count(engagement.kind()))
        RecordTouch(score, engagement.campaign_id(), at, rules_.attribution, credits_);
    } else if (event_.has_deal_upserted()) {
      const std::string key = event_.source_system() + ":" + event_.deal_upserted().deal_id();
      auto bytes = state_.Get(fold::Table::kDeals, key);
      if (!bytes) return;
      auto deal = fold::DecodeState<state::v1::DealState>(*bytes, fold::Table::kDeals, key);
      const auto before = CreditDeal(score, deal, rules_.attribution, credits_);
      if (before != v1::DEAL_STAGE_CLOSED_WON && deal.stage() == v1::DEAL_STAGE_CLOSED_WON)
        RecordPurchase(score, deal.updated_at_ms(),
                       deal.amount().currency() == currency ? deal.amount().minor_units() : 0,
                       rules_.reactivation);
    } else if (event_.has_order_placed()) {
      const auto& amount = event_.order_placed().amount();
      RecordPurchase(score, at, amount.currency() == currency ? amount.minor_units() : 0,
                     rules_.reactivation);
    } else if (event_.has_support_ticket() && event_.support_ticket().complaint()) {
      score.set_last_complaint_ms(std::max(score.last_complaint_ms(), at));
    }
  }

  // Marketing's sends and sales' outbound activities are both attempts to
  // reach the customer; too many in the window pause contact, announced once
  // per pause.
  void FoldContactAttempt(ScoreState& score, int64_t at, FeedbackOutcome& outcome) {
    std::string side;
    if (event_.has_campaign_engagement() &&
        event_.campaign_engagement().kind() == v1::ENGAGEMENT_KIND_SENT)
      side = "marketing";
    else if (event_.has_activity_logged() && event_.activity_logged().outbound())
      side = "sales";
    else
      return;
    const auto& rules = rules_.pause;
    auto& attempts = *score.mutable_attempts();
    auto* attempt = attempts.Add();
    attempt->set_at_ms(at);
    attempt->set_side(side);
    std::stable_sort(attempts.begin(), attempts.end(),
                     [](const auto& a, const auto& b) { return a.at_ms() < b.at_ms(); });
    const int64_t latest = attempts.rbegin()->at_ms();
    attempts.erase(
        std::remove_if(attempts.begin(), attempts.end(),
                       [&](const auto& a) { return a.at_ms() <= latest - rules.window_ms; }),
        attempts.end());
    if (attempts.size() <= rules.max_attempts || score.paused_until_ms() > latest) return;
    int marketing = 0;
    for (const auto& entry : attempts) marketing += entry.side() == "marketing";
    const int sales = attempts.size() - marketing;
    v1::Event pause;
    auto* payload = pause.mutable_contact_pause();
    payload->set_until_ms(latest + rules.pause_ms);
    payload->set_attempts(attempts.size());
    payload->set_window_days(static_cast<int32_t>(rules.window_ms / 86'400'000));
    payload->set_reason(std::to_string(attempts.size()) + " contact attempts in " +
                        std::to_string(rules.window_ms / 86'400'000) + " days (" +
                        std::to_string(marketing) + " by marketing, " + std::to_string(sales) +
                        " by sales), more than " + std::to_string(rules.max_attempts));
    Emit(std::move(pause), outcome);
    score.set_paused_until_ms(latest + rules.pause_ms);
  }

  void Moved(int32_t points, std::string why) {
    moved_points_ = points;
    moved_by_ = Signed(points) + " " + why;
  }

  void MaybeHandOver(const CustomerState& customer, ScoreState& score, int32_t total, int32_t fit,
                     FeedbackOutcome& outcome) {
    if (score.handed_over()) return;
    // Sales has the customer already.
    if (customer.lifecycle_stage() > v1::LIFECYCLE_STAGE_MQL) return;
    int32_t recent = 0;
    for (const auto& entry : score.recent()) recent += entry.points();
    const auto& rules = rules_.handover;
    if (total < rules.min_score || fit < rules.min_fit || recent < rules.min_engagement) return;
    v1::Event qualified;
    auto* payload = qualified.mutable_lead_qualified();
    payload->set_score(total);
    payload->set_stage(v1::LIFECYCLE_STAGE_MQL);
    payload->add_reasons("score " + std::to_string(total) +
                         " >= " + std::to_string(rules.min_score));
    payload->add_reasons("fit " + std::to_string(fit) + " >= " + std::to_string(rules.min_fit));
    payload->add_reasons("engagement " + std::to_string(recent) + " in the last " +
                         std::to_string(rules.engagement_window_ms / 86'400'000) +
                         " days >= " + std::to_string(rules.min_engagement));
    if (score.rejections() > 0)
      payload->add_reasons("qualified again after " + std::to_string(score.rejections()) +
                           " rejection(s)");
    Emit(std::move(qualified), outcome);
    score.set_handed_over(true);
  }

  // The envelope of a feedback event caused by the event being folded: its
  // id derives from the cause and the customer, so a replay emits the same.
  void Emit(v1::Event derived, FeedbackOutcome& outcome) const {
    outcome.emitted.push_back(StampFeedback(std::move(derived), envelope_, event_.occurred_at_ms(),
                                            customer_id_, emit_key_, customer_id_));
  }

  const fold::StateReader& state_;
  const v1::Event& envelope_;
  const v1::Event& event_;
  const std::string& customer_id_;
  const FeedbackRules& rules_;
  CreditBook credits_{rules_.attribution};
  // The key emitted events carry: the event's, or the customer's home key
  // when the event is not the customer's own.
  std::string emit_key_;
  int32_t moved_points_ = 0;
  std::string moved_by_;
};

// A reader that sees one pending write over `base`.
class WithPending : public fold::StateReader {
 public:
  WithPending(const fold::StateReader& base, const fold::Change& pending)
      : base_(base), pending_(pending) {}
  std::optional<std::string> Get(fold::Table table, std::string_view key) const override {
    if (table == pending_.table && key == pending_.key) return pending_.value;
    return base_.Get(table, key);
  }

 private:
  const fold::StateReader& base_;
  const fold::Change& pending_;
};

// An account the projection has just folded: its profile goes to every
// shard, where its customers are.
FeedbackOutcome AnnounceAccount(const fold::StateReader& state, const v1::Event& event) {
  const std::string key = event.source_system() + ":" + event.account_upserted().account_id();
  auto bytes = state.Get(fold::Table::kAccounts, key);
  if (!bytes) return {};
  auto account = fold::DecodeState<state::v1::AccountState>(*bytes, fold::Table::kAccounts, key);
  v1::Event announced;
  auto* profile = announced.mutable_account_profile();
  profile->set_account_key(key);
  profile->set_name(account.name());
  profile->set_industry(account.industry());
  profile->set_employees(account.employees());
  if (account.has_annual_revenue()) *profile->mutable_annual_revenue() = account.annual_revenue();
  profile->set_country(account.country());
  profile->set_city(account.city());
  FeedbackOutcome outcome;
  outcome.broadcast.push_back(StampFeedback(std::move(announced), event, event.occurred_at_ms(),
                                            key, "account:" + key, key));
  return outcome;
}

// This shard's copy of an account is replaced; its customers are rescored.
FeedbackOutcome FoldAccountProfile(const fold::StateReader& state, const v1::Event& event,
                                   const FeedbackRules& rules) {
  const auto& profile = event.account_profile();
  state::v1::AccountProfileState entry;
  if (auto bytes = state.Get(fold::Table::kAccountProfiles, profile.account_key()))
    entry = fold::DecodeState<state::v1::AccountProfileState>(*bytes, fold::Table::kAccountProfiles,
                                                              profile.account_key());
  *entry.mutable_profile() = profile;
  const fold::Change copy{fold::Table::kAccountProfiles, profile.account_key(),
                          fold::EncodeState(entry)};
  const WithPending updated(state, copy);
  FeedbackOutcome outcome;
  outcome.changes.push_back(copy);
  for (const auto& customer_id : entry.customer_ids()) {
    auto rescored = Scorer(updated, event, customer_id, rules).Run();
    for (auto& change : rescored.changes) outcome.changes.push_back(std::move(change));
    for (auto& emitted : rescored.emitted) outcome.emitted.push_back(std::move(emitted));
  }
  return outcome;
}

// After the projection moved a customer to another shard (a merge request
// it folded), its score follows it.
FeedbackOutcome SendScoreAfterMove(const fold::StateReader& state, const v1::Event& request) {
  auto id = state.Get(fold::Table::kIdentity, request.customer_key());
  if (!id) return {};
  auto customer = fold::LoadCustomer(state, *id);
  if (!customer || customer->merged_into_key().empty()) return {};
  auto bytes = state.Get(fold::Table::kScores, customer->customer_id());
  if (!bytes) return {};
  FeedbackOutcome outcome;
  outcome.changes.push_back({fold::Table::kScores, customer->customer_id(), std::nullopt});
  v1::Event moved;
  *moved.mutable_score_moved()->mutable_score() =
      fold::DecodeState<ScoreState>(*bytes, fold::Table::kScores, customer->customer_id());
  outcome.internal.push_back(StampFeedback(std::move(moved), request, request.occurred_at_ms(),
                                           customer->customer_id(), customer->merged_into_key(),
                                           customer->customer_id()));
  return outcome;
}

// A moved customer's score arrives where its survivor lives: it joins the
// survivor's score, or follows the survivor if that moved on in turn.
FeedbackOutcome FoldScoreMoved(const fold::StateReader& state, const v1::Event& event,
                               const FeedbackRules& rules) {
  const auto& score = event.score_moved().score();
  auto id = state.Get(fold::Table::kIdentity, event.customer_key());
  if (!id) return {};
  auto survivor = fold::LoadCustomer(state, *id);
  if (!survivor) return {};
  FeedbackOutcome outcome;
  if (!survivor->merged_into_key().empty()) {
    v1::Event onward;
    *onward.mutable_score_moved() = event.score_moved();
    outcome.internal.push_back(StampFeedback(std::move(onward), event, event.occurred_at_ms(),
                                             score.customer_id(), survivor->merged_into_key(),
                                             score.customer_id()));
    return outcome;
  }
  const fold::Change arrived{fold::Table::kScores, score.customer_id(), fold::EncodeState(score)};
  outcome = Scorer(WithPending(state, arrived), event, survivor->customer_id(), rules).Run();
  outcome.changes.insert(outcome.changes.begin(), arrived);
  return outcome;
}

// Copies a customer's feedback event into the note its timeline keeps;
// false for the events that are not about one customer. The note's
// `payload` oneof names the kinds it keeps as v1::Event does.
bool ToNote(const v1::Event& emitted, state::v1::FeedbackNote& note) {
  note.set_event_id(emitted.event_id());
  const auto* from = v1::Event::descriptor()->FindFieldByNumber(emitted.payload_case());
  if (from == nullptr) return false;
  const auto* to = state::v1::FeedbackNote::descriptor()->FindFieldByName(from->name());
  if (to == nullptr || to->containing_oneof() == nullptr) return false;
  note.GetReflection()->MutableMessage(&note, to)->CopyFrom(
      emitted.GetReflection()->GetMessage(emitted, from));
  return true;
}

// Puts the feedback events emitted for a customer (their source record is
// the customer id) on its timeline, so its audit tells the score and the
// handover with their reasons: on the entry the projection's fold has just
// recorded for `cause`, or on a new entry when the fold recorded none (the
// service's own messages: a tick, a company's update, a score moving in).
void NoteOnTimelines(const fold::StateReader& state, const v1::Event& cause,
                     FeedbackOutcome& outcome) {
  const v1::Event& folded = cause.has_event_forwarded() ? cause.event_forwarded().event() : cause;
  // Ordered by customer id, so the writes do not depend on emission order.
  std::map<std::string, std::vector<state::v1::FeedbackNote>> notes;
  for (const auto& emitted : outcome.emitted) {
    state::v1::FeedbackNote note;
    if (ToNote(emitted, note)) notes[emitted.source_record_id()].push_back(std::move(note));
  }
  for (auto& [customer_id, customer_notes] : notes) {
    auto customer = fold::LoadCustomer(state, customer_id);
    if (!customer || customer->customer_id() != customer_id || !customer->merged_into_key().empty())
      continue;
    const uint64_t length = customer->timeline_length();
    std::string key = fold::TimelineKey(customer_id, length > 0 ? length - 1 : 0);
    state::v1::TimelineEntry entry;
    if (auto bytes = length > 0 ? state.Get(fold::Table::kTimeline, key) : std::nullopt)
      entry = fold::DecodeState<state::v1::TimelineEntry>(*bytes, fold::Table::kTimeline, key);
    if (entry.event_id() != folded.event_id()) {
      entry = state::v1::TimelineEntry();
      entry.set_event_id(folded.event_id());
      entry.set_kind(std::string(events::PayloadKind(folded)));
      entry.set_occurred_at_ms(folded.occurred_at_ms());
      entry.set_source_system(folded.source_system());
      entry.set_source_record_id(folded.source_record_id());
      entry.set_source_version(folded.source_version());
      key = fold::TimelineKey(customer_id, length);
      auto activity = state.Get(fold::Table::kActivity, customer_id);
      if (!activity)
        throw fold::StateError("live customer " + customer_id + " has no activity record");
      auto counters = fold::DecodeState<state::v1::CustomerActivity>(
          *activity, fold::Table::kActivity, customer_id);
      counters.set_timeline_length(length + 1);
      outcome.changes.push_back({fold::Table::kActivity, customer_id, fold::EncodeState(counters)});
    }
    for (auto& note : customer_notes) *entry.add_feedback() = std::move(note);
    outcome.changes.push_back({fold::Table::kTimeline, key, fold::EncodeState(entry)});
  }
}

}  // namespace

bool FollowsUp(const fold::Outcome& projected, const v1::Event& event) {
  if (projected.verdict == fold::Verdict::kApplied)
    return !projected.customer_id.empty() || event.has_account_upserted();
  if (projected.verdict == fold::Verdict::kIdentity) return event.has_merge_requested();
  return projected.verdict == fold::Verdict::kIgnored && events::IsFeedbackInput(event);
}

FeedbackOutcome ApplyFeedback(const fold::StateReader& state, const v1::Event& event,
                              const std::string& customer_id, const FeedbackRules& rules) {
  if (event.has_account_upserted()) return AnnounceAccount(state, event);
  if (event.has_merge_requested()) return SendScoreAfterMove(state, event);
  if (!events::IsFeedbackInput(event)) {
    auto outcome = Scorer(state, event, customer_id, rules).Run();
    NoteOnTimelines(state, event, outcome);
    return outcome;
  }
  auto outcome = event.has_tick()              ? FoldTick(state, event, rules)
                 : event.has_account_profile() ? FoldAccountProfile(state, event, rules)
                 : event.has_score_moved()     ? FoldScoreMoved(state, event, rules)
                                               : FoldCredit(state, event, rules.attribution);
  NoteOnTimelines(state, event, outcome);
  // The projection's fold passes these by; this marks them folded, so a
  // repeat (a restarted service, a second service's tick) changes nothing.
  state::v1::AppliedEvent applied;
  applied.set_occurred_at_ms(event.occurred_at_ms());
  outcome.changes.push_back({fold::Table::kEvents, event.event_id(), fold::EncodeState(applied)});
  return outcome;
}

}  // namespace accord::feedback
