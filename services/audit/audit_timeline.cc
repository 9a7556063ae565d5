#include "services/audit/audit_timeline.h"

#include <algorithm>
#include <map>
#include <sstream>
#include <tuple>

#include "domain/events/envelope.h"
#include "domain/util/time.h"
#include "services/query/render.h"

namespace accord::audit {
namespace {

using state::v1::FeedbackNote;
using state::v1::FieldDecision;
using state::v1::FieldValue;
using state::v1::TimelineEntry;
using Item = query::StateQuery::TimelineItem;
using Json = nlohmann::ordered_json;

// The merge of every customer merged in, by its id: which entry's customer
// took it in, when and why. A customer is merged once; the earliest counts.
std::map<std::string, Merge> MergesOf(const std::vector<Item>& items) {
  std::map<std::string, Merge> merges;
  for (const auto& item : items)
    for (const auto& merged : item.entry.merged_customer_ids())
      merges.emplace(merged, Merge{merged, item.customer_id, item.entry.occurred_at_ms(),
                                   item.entry.merge_reason()});
  return merges;
}

// Follows `id`'s merges upwards as long as they happened by `at_ms` (all of
// them without it); calls `step` with every customer passed, `id` first,
// and returns the last one. Merges always go to a smaller home key, so the
// walk ends; the bound only guards against a corrupt state.
template <typename Step>
std::string WalkUp(std::string id, const std::map<std::string, Merge>& merges,
                   std::optional<int64_t> at_ms, Step step) {
  for (size_t hops = 0; hops <= merges.size(); ++hops) {
    if (!step(id)) return id;
    auto it = merges.find(id);
    if (it == merges.end() || (at_ms && it->second.at_ms > *at_ms)) return id;
    id = it->second.into;
  }
  return id;
}

// Whether `id` was part of `root` by `at_ms`: root itself, or merged into
// it (directly or through others) by then.
bool PartOf(const std::string& id, const std::string& root,
            const std::map<std::string, Merge>& merges, std::optional<int64_t> at_ms) {
  bool reached = false;
  WalkUp(id, merges, at_ms, [&](const std::string& passed) {
    reached = passed == root;
    return !reached;
  });
  return reached;
}

// How many merges lie between `id` and the customer it is part of now.
size_t MergeDepth(const std::string& id, const std::map<std::string, Merge>& merges) {
  size_t depth = 0;
  WalkUp(id, merges, std::nullopt, [&](const std::string&) {
    ++depth;
    return true;
  });
  return depth - 1;
}

// The customer an address stood for before merges joined it to others:
// of the customers whose own events offered it (up to `at_ms`), the one
// merged deepest, then the one that had it first. Events that arrive after
// a merge are recorded by the survivor, whatever their time; the deepest
// customer is the one that held the address before. "" when no event
// offered it.
std::string OwnerOfEmail(const std::vector<Item>& items, const std::string& email,
                         const std::map<std::string, Merge>& merges, std::optional<int64_t> at_ms) {
  std::string owner;
  size_t owner_depth = 0;
  for (const auto& item : items) {  // by occurred-at
    if (at_ms && item.entry.occurred_at_ms() > *at_ms) break;
    const bool offered = std::any_of(
        item.entry.decisions().begin(), item.entry.decisions().end(), [&](const auto& decision) {
          return decision.field() == "email" && decision.offered_value() == email &&
                 decision.offered_source_system().empty();
        });
    if (!offered || item.customer_id == owner) continue;
    const size_t depth = MergeDepth(item.customer_id, merges);
    if (owner.empty() || depth > owner_depth) {
      owner = item.customer_id;
      owner_depth = depth;
    }
  }
  return owner;
}

bool OfferedByMerge(const FieldDecision& decision) {
  return !decision.offered_source_system().empty();
}

// The value a decision offered, with the provenance the field takes when
// the offer wins.
FieldValue Offer(const TimelineEntry& entry, const FieldDecision& decision) {
  const bool merged = OfferedByMerge(decision);
  FieldValue field;
  field.set_name(decision.field());
  field.set_value(decision.offered_value());
  field.set_source_system(merged ? decision.offered_source_system() : entry.source_system());
  field.set_source_record_id(merged ? decision.offered_source_record_id()
                                    : entry.source_record_id());
  field.set_source_version(merged ? decision.offered_source_version() : entry.source_version());
  field.set_occurred_at_ms(merged ? decision.offered_occurred_at_ms() : entry.occurred_at_ms());
  if (!merged) field.set_event_id(entry.event_id());
  field.set_rule(decision.rule());
  return field;
}

// A customer's fields as the decisions of its own entries left them, in
// the order the fold recorded the entries.
std::vector<FieldValue> FieldsFromDecisions(std::vector<const Item*> own) {
  std::sort(own.begin(), own.end(),
            [](const Item* a, const Item* b) { return a->sequence < b->sequence; });
  std::map<std::string, FieldValue> fields;
  for (const Item* item : own) {
    for (const auto& decision : item->entry.decisions()) {
      switch (decision.outcome()) {
        case FieldDecision::OUTCOME_CHANGED:
        case FieldDecision::OUTCOME_UNCHANGED:
          fields[decision.field()] = Offer(item->entry, decision);
          break;
        case FieldDecision::OUTCOME_ERASED:
          fields.erase(decision.field());
          break;
        default:
          break;
      }
    }
  }
  std::vector<FieldValue> out;
  for (auto& [name, field] : fields) out.push_back(std::move(field));
  return out;
}

std::string Source(const std::string& system, const std::string& record) {
  return system + ":" + record;
}

// A decision as readers see it: who offered, the value before and after,
// whose value it is now. No value is nullopt.
struct DecisionView {
  std::string outcome;
  std::string offered_by;
  uint64_t offered_version = 0;
  // Only decisions that chose between values have them: not "not_synced"
  // (the field was not touched) nor "erased".
  bool chose = false;
  std::optional<std::string> old_value;
  std::optional<std::string> new_value;
  std::optional<std::string> winner;
};

DecisionView View(const FieldDecision& decision, const TimelineEntry& entry) {
  DecisionView view;
  const bool merged = OfferedByMerge(decision);
  view.offered_by =
      merged ? Source(decision.offered_source_system(), decision.offered_source_record_id())
             : Source(entry.source_system(), entry.source_record_id());
  view.offered_version = merged ? decision.offered_source_version() : entry.source_version();
  switch (decision.outcome()) {
    case FieldDecision::OUTCOME_CHANGED:
      view.outcome = "changed";
      view.chose = true;
      // Changed with nothing recorded before: the field had no value.
      if (decision.has_old_value()) view.old_value = decision.old_value();
      view.new_value = decision.offered_value();
      view.winner = view.offered_by;
      break;
    case FieldDecision::OUTCOME_UNCHANGED:
      view.outcome = "unchanged";
      view.chose = true;
      view.old_value = view.new_value = decision.offered_value();
      view.winner = view.offered_by;
      break;
    case FieldDecision::OUTCOME_KEPT:
      view.outcome = "kept";
      view.chose = true;
      if (!decision.old_source().empty()) {
        view.old_value = view.new_value =
            decision.has_old_value() ? decision.old_value() : decision.offered_value();
        view.winner = decision.old_source();
      }
      break;
    case FieldDecision::OUTCOME_NOT_SYNCED:
      view.outcome = "not_synced";
      break;
    case FieldDecision::OUTCOME_ERASED:
      view.outcome = "erased";
      break;
    default:
      view.outcome = "unspecified";
  }
  return view;
}

Json OptionalJson(const std::optional<std::string>& value, bool erased) {
  return value && !erased ? Json(*value) : Json(nullptr);
}

Json DecisionJson(const FieldDecision& decision, const TimelineEntry& entry) {
  const DecisionView view = View(decision, entry);
  const bool erased = entry.values_erased();
  Json out = {{"field", decision.field()}, {"outcome", view.outcome}, {"rule", decision.rule()}};
  if (decision.outcome() == FieldDecision::OUTCOME_ERASED) return out;
  out["offered_value"] = erased ? Json(nullptr) : Json(decision.offered_value());
  out["offered_by"] = view.offered_by;
  out["offered_version"] = view.offered_version;
  if (!view.chose) return out;
  out["old_value"] = OptionalJson(view.old_value, erased);
  out["new_value"] = OptionalJson(view.new_value, erased);
  out["winner"] = view.winner ? Json(*view.winner) : Json(nullptr);
  return out;
}

std::string NoteKind(const FeedbackNote& note) {
  const auto* field = FeedbackNote::descriptor()->FindFieldByNumber(note.payload_case());
  return field ? field->name() : "unknown";
}

Json FeedbackJson(const FeedbackNote& note, const TimelineEntry& entry) {
  Json out = {{"kind", NoteKind(note)}, {"event_id", note.event_id()}};
  switch (note.payload_case()) {
    case FeedbackNote::kScoreUpdated: {
      const auto& score = note.score_updated();
      out["score"] = score.score();
      out["previous_score"] = score.previous_score();
      out["fit"] = score.fit();
      out["engagement"] = score.engagement();
      out["components"] = query::ScoreComponentsJson(score.components());
      break;
    }
    case FeedbackNote::kLeadQualified: {
      const auto& qualified = note.lead_qualified();
      out["score"] = qualified.score();
      out["stage"] = events::LifecycleStageName(qualified.stage());
      out["reasons"] =
          std::vector<std::string>(qualified.reasons().begin(), qualified.reasons().end());
      break;
    }
    case FeedbackNote::kContactPause: {
      const auto& pause = note.contact_pause();
      out["until"] = FormatIsoTimestampMs(pause.until_ms());
      out["attempts"] = pause.attempts();
      out["window_days"] = pause.window_days();
      out["reason"] = pause.reason();
      break;
    }
    case FeedbackNote::kReactivationCandidate:
      // Announced by the tick the entry records.
      out.update(query::ReactivationJson(note.reactivation_candidate(), entry.occurred_at_ms()));
      break;
    default:
      break;
  }
  return out;
}

Json EntryJson(const Item& item) {
  const auto& entry = item.entry;
  Json out = query::TimelineEntryJson(entry, item.customer_id);
  out["merge_reason"] =
      entry.merged_customer_ids().empty() ? Json(nullptr) : Json(entry.merge_reason());
  Json decisions = Json::array();
  for (const auto& decision : entry.decisions()) decisions.push_back(DecisionJson(decision, entry));
  out["decisions"] = std::move(decisions);
  Json feedback = Json::array();
  for (const auto& note : entry.feedback()) feedback.push_back(FeedbackJson(note, entry));
  out["feedback"] = std::move(feedback);
  if (entry.values_erased()) out["values_erased"] = true;
  return out;
}

// --- Table ----------------------------------------------------------------

std::string Signed(int32_t points) {
  return (points >= 0 ? "+" : "") + std::to_string(points);
}

std::string Join(const google::protobuf::RepeatedPtrField<std::string>& parts) {
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : "; ") + part;
  return out;
}

std::string DecisionLine(const FieldDecision& decision, const TimelineEntry& entry) {
  const DecisionView view = View(decision, entry);
  auto quote = [&](const std::optional<std::string>& value) {
    if (entry.values_erased()) return std::string("(erased)");
    return value ? "'" + *value + "'" : std::string("(none)");
  };
  const std::string offered = quote(decision.offered_value());
  const std::string by = view.offered_by + " v" + std::to_string(view.offered_version);
  const std::string rule = " (" + decision.rule() + ")";
  const std::string from_merge = OfferedByMerge(decision) ? " from " + by : "";
  switch (decision.outcome()) {
    case FieldDecision::OUTCOME_CHANGED:
      return decision.field() + ": " + quote(view.old_value) + " → " + quote(view.new_value) +
             from_merge + rule;
    case FieldDecision::OUTCOME_UNCHANGED:
      return decision.field() + ": " + offered + " unchanged" + from_merge + rule;
    case FieldDecision::OUTCOME_KEPT:
      return decision.field() + ": " + offered + " offered by " + by + ", kept " +
             (view.winner ? quote(view.new_value) + " from " + *view.winner : "no value") + rule;
    case FieldDecision::OUTCOME_NOT_SYNCED:
      return decision.field() + ": " + offered + " offered by " + by + ", not synced" + rule;
    case FieldDecision::OUTCOME_ERASED:
      return decision.field() + ": erased";
    default:
      return decision.field() + ": " + view.outcome + rule;
  }
}

std::vector<std::string> FeedbackLines(const FeedbackNote& note) {
  switch (note.payload_case()) {
    case FeedbackNote::kScoreUpdated: {
      const auto& score = note.score_updated();
      std::vector<std::string> lines = {"score " + std::to_string(score.score()) + " (was " +
                                        std::to_string(score.previous_score()) + "): fit " +
                                        std::to_string(score.fit()) + ", engagement " +
                                        std::to_string(score.engagement())};
      for (const auto& component : score.components())
        lines.push_back("  " + component.name() + " " + Signed(component.points()) +
                        (component.reason().empty() ? "" : ": " + component.reason()));
      return lines;
    }
    case FeedbackNote::kLeadQualified: {
      const auto& qualified = note.lead_qualified();
      return {"qualified for sales as " + events::LifecycleStageName(qualified.stage()) +
              " at score " + std::to_string(qualified.score()) + ": " + Join(qualified.reasons())};
    }
    case FeedbackNote::kContactPause: {
      const auto& pause = note.contact_pause();
      return {"contact paused until " + FormatIsoTimestampMs(pause.until_ms()) + ": " +
              pause.reason()};
    }
    case FeedbackNote::kReactivationCandidate: {
      const auto& candidate = note.reactivation_candidate();
      return {"reactivation candidate (recency " + std::to_string(candidate.recency()) +
              ", frequency " + std::to_string(candidate.frequency()) + ", monetary " +
              std::to_string(candidate.monetary()) + "): " + Join(candidate.reasons())};
    }
    default:
      return {NoteKind(note)};
  }
}

}  // namespace

std::string TextColumns(const std::vector<std::vector<std::string>>& rows) {
  // Characters, not bytes: values are UTF-8.
  auto width = [](const std::string& text) {
    return static_cast<size_t>(
        std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
  };
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], width(row[i]));
  }
  std::string out;
  for (const auto& row : rows) {
    size_t filled = row.size();
    while (filled > 0 && row[filled - 1].empty()) --filled;
    for (size_t i = 0; i < filled; ++i)
      out += i + 1 == filled ? row[i] : row[i] + std::string(widths[i] - width(row[i]) + 2, ' ');
    out += "\n";
  }
  return out;
}

std::optional<Audit> AuditCustomer(const query::StateQuery& query, const Subject& subject,
                                   std::optional<int64_t> at_ms) {
  auto customer = subject.email.empty() ? query.ById(subject.customer_id)
                                        : query.ByIdentity("email:" + subject.email);
  if (!customer) return std::nullopt;
  Audit audit;
  audit.survivor_id = customer->state.customer_id();
  audit.at_ms = at_ms;
  auto items = query.TimelineOf(*customer);
  const auto merges = MergesOf(items);
  std::string named = subject.email.empty() ? subject.customer_id
                                            : OwnerOfEmail(items, subject.email, merges, at_ms);
  if (named.empty() || !PartOf(named, audit.survivor_id, merges, std::nullopt))
    named = audit.survivor_id;
  // At a time, the subject is the customer it had been merged into by then.
  audit.customer_id = at_ms ? WalkUp(named, merges, at_ms, [](const std::string&) { return true; })
                            : audit.survivor_id;
  if (named != audit.customer_id) audit.resolved_from = named;

  for (const auto& [id, merge] : merges)
    if (id != audit.customer_id && PartOf(id, audit.customer_id, merges, at_ms))
      audit.merges.push_back(merge);
  std::sort(audit.merges.begin(), audit.merges.end(), [](const Merge& a, const Merge& b) {
    return std::tie(a.at_ms, a.customer_id) < std::tie(b.at_ms, b.customer_id);
  });
  for (auto& item : items)
    if ((!at_ms || item.entry.occurred_at_ms() <= *at_ms) &&
        PartOf(item.customer_id, audit.customer_id, merges, at_ms))
      audit.entries.push_back(std::move(item));

  if (!at_ms) {
    audit.fields.assign(customer->state.fields().begin(), customer->state.fields().end());
  } else {
    std::vector<const Item*> own;
    for (const auto& item : audit.entries)
      if (item.customer_id == audit.customer_id) own.push_back(&item);
    audit.fields = FieldsFromDecisions(std::move(own));
  }
  return audit;
}

Json AuditJson(const Audit& audit) {
  Json merges = Json::array();
  for (const auto& merge : audit.merges)
    merges.push_back({{"customer_id", merge.customer_id},
                      {"into", merge.into},
                      {"merged_at", FormatIsoTimestampMs(merge.at_ms)},
                      {"reason", merge.reason}});
  Json fields = Json::object();
  for (const auto& field : audit.fields) fields[field.name()] = query::FieldJson(field);
  Json entries = Json::array();
  for (const auto& item : audit.entries) entries.push_back(EntryJson(item));
  return {
      {"customer_id", audit.customer_id},
      {"survivor_id", audit.survivor_id},
      {"resolved_from", audit.resolved_from.empty() ? Json(nullptr) : Json(audit.resolved_from)},
      {"at", audit.at_ms ? Json(FormatIsoTimestampMs(*audit.at_ms)) : Json(nullptr)},
      {"merged", std::move(merges)},
      {"fields", std::move(fields)},
      {"total", audit.entries.size()},
      {"entries", std::move(entries)}};
}

std::string AuditTable(const Audit& audit, const std::string& subject) {
  std::ostringstream out;
  out << "customer " << audit.customer_id << "\n";
  if (subject == audit.resolved_from)
    out << "  " << subject << " was merged into " << audit.customer_id << "\n";
  else if (!audit.resolved_from.empty())
    out << "  " << subject << " names customer " << audit.resolved_from << ", merged into "
        << audit.customer_id << "\n";
  if (audit.at_ms) {
    out << "  as of " << FormatIsoTimestampMs(*audit.at_ms)
        << ": the events that occurred at or before it\n";
    if (audit.customer_id != audit.survivor_id)
      out << "  merged into " << audit.survivor_id << " later\n";
  }
  for (const auto& merge : audit.merges)
    out << "  merged in " << merge.customer_id << " at " << FormatIsoTimestampMs(merge.at_ms)
        << (merge.into == audit.customer_id ? "" : " (into " + merge.into + ")")
        << (merge.reason.empty() ? "" : ": " + merge.reason) << "\n";

  out << "\n";
  if (audit.fields.empty()) {
    out << "no fields\n";
  } else {
    std::vector<std::vector<std::string>> rows = {{"field", "value", "source", "rule"}};
    for (const auto& field : audit.fields)
      rows.push_back({field.name(), field.value(),
                      Source(field.source_system(), field.source_record_id()) + " v" +
                          std::to_string(field.source_version()),
                      field.rule()});
    out << TextColumns(rows);
  }

  out << "\n";
  if (audit.entries.empty()) {
    out << "no events\n";
    return out.str();
  }
  std::vector<std::vector<std::string>> rows = {
      {"occurred at", "kind", "source", "customer", "note"}};
  for (const auto& item : audit.entries) {
    const auto& entry = item.entry;
    rows.push_back({FormatIsoTimestampMs(entry.occurred_at_ms()), entry.kind(),
                    Source(entry.source_system(), entry.source_record_id()) + " v" +
                        std::to_string(entry.source_version()),
                    item.customer_id, entry.note()});
  }
  // Details go below their entry's row, so the columns are laid out first.
  std::istringstream laid_out(TextColumns(rows));
  std::string line;
  std::getline(laid_out, line);
  out << line << "\n";
  for (const auto& item : audit.entries) {
    std::getline(laid_out, line);
    out << line << "\n";
    const auto& entry = item.entry;
    for (const auto& merged : entry.merged_customer_ids())
      out << "    merged in " << merged << ": "
          << (entry.values_erased() ? "(erased)" : entry.merge_reason()) << "\n";
    for (const auto& decision : entry.decisions())
      out << "    " << DecisionLine(decision, entry) << "\n";
    for (const auto& note : entry.feedback())
      for (const auto& detail : FeedbackLines(note)) out << "    " << detail << "\n";
  }
  return out.str();
}

}  // namespace accord::audit
