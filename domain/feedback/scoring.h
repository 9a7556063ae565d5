#pragma once

// The feedback fold's parts, one file per concern (score.h is its interface):
//   score.cc           ApplyFeedback: the dispatch by event, TakesEvent
//   rescore.cc         one customer's score refolded for one event
//   signals.cc         what an event says about the lead; engagement decay
//   fit.cc             the fit rules, on the customer and its company
//   handover.cc        qualifying a lead for sales
//   pause.cc           contact attempts and the pause they call for
//   accounts.cc        company profiles announced to and rescored in every shard
//   score_moves.cc     a score following its customer to another shard
//   timeline_notes.cc  feedback noted on the customer's timeline

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "accord/state/v1/state.pb.h"
#include "accord/v1/event.pb.h"
#include "domain/feedback/attribution.h"
#include "domain/feedback/rules.h"
#include "domain/feedback/score.h"
#include "domain/fold/state.h"

namespace accord::feedback::scoring {

using state::v1::CustomerState;
using state::v1::ScoreState;

// One customer's score refolded for one event: what it is folded against,
// the credits it gives, and what moved the score when the event is not the
// customer's own.
struct Rescoring {
  Rescoring(const fold::StateReader& state, const v1::Event& envelope,
            const std::string& customer_id, const FeedbackRules& rules);

  // The envelope of a feedback event caused by the event being folded: its
  // id derives from the cause and the customer, so a replay emits the same.
  void Emit(v1::Event derived, FeedbackOutcome& outcome) const;
  void Moved(int32_t points, std::string why);

  const fold::StateReader& state;
  const v1::Event& envelope;
  // The event whose payload is folded: a forwarded event's original.
  const v1::Event& event;
  const std::string& customer_id;
  const FeedbackRules& rules;
  CreditBook credits{rules.attribution};
  // The key emitted events carry: the event's, or the customer's home key
  // when the event is not the customer's own.
  std::string emit_key;
  int32_t moved_points = 0;
  std::string moved_by;
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

using Components = google::protobuf::RepeatedPtrField<v1::ScoreComponent>;
void AddComponent(Components& components, std::string name, int32_t points, std::string reason);

// rescore.cc
// The customer's score after `event`; nothing when the customer is gone or
// merged into another since it was listed.
FeedbackOutcome Rescore(const fold::StateReader& state, const v1::Event& event,
                        const std::string& customer_id, const FeedbackRules& rules);

// signals.cc
void DecayTo(ScoreState& score, int64_t now, const ScoreRules& rules);
void FoldSignal(Rescoring& scoring, ScoreState& score, int64_t at, int64_t now);
void FoldAttributionAndPurchases(Rescoring& scoring, ScoreState& score, int64_t at);

// fit.cc
// The customer's company as this shard knows it; keeps the customer
// listed under it, so that an update of the company rescores it.
v1::AccountProfile JoinAccount(const fold::StateReader& state, const std::string& customer_id,
                               const CustomerState& customer, ScoreState& score,
                               std::vector<fold::Change>& changes);
// The points of the fit rules the customer and its company match, each
// added to `components`.
int32_t ScoreFit(const ScoreRules& rules, const CustomerState& customer,
                 const v1::AccountProfile& account, Components& components);

// handover.cc
void MaybeHandOver(Rescoring& scoring, const CustomerState& customer, ScoreState& score,
                   int32_t total, int32_t fit, FeedbackOutcome& outcome);

// pause.cc
void FoldContactAttempt(Rescoring& scoring, ScoreState& score, int64_t at,
                        FeedbackOutcome& outcome);

// accounts.cc
FeedbackOutcome AnnounceAccount(const fold::StateReader& state, const v1::Event& event);
FeedbackOutcome FoldAccountProfile(const fold::StateReader& state, const v1::Event& event,
                                   const FeedbackRules& rules);

// score_moves.cc
FeedbackOutcome SendScoreAfterMove(const fold::StateReader& state, const v1::Event& request);
FeedbackOutcome FoldScoreMoved(const fold::StateReader& state, const v1::Event& event,
                               const FeedbackRules& rules);

// timeline_notes.cc
void NoteOnTimelines(const fold::StateReader& state, const v1::Event& cause,
                     FeedbackOutcome& outcome);

}  // namespace accord::feedback::scoring
