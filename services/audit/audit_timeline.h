#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "accord/state/v1/state.pb.h"
#include "services/query/state_query.h"

namespace accord::audit {

// Whom an audit is about: a customer id, or a normalised e-mail address.
struct Subject {
  std::string customer_id;
  std::string email;
};

// A customer merged into another: into which, when (the merging event's
// occurred-at) and why.
struct Merge {
  std::string customer_id;
  std::string into;
  int64_t at_ms = 0;
  std::string reason;
};

// A customer's audit trail (docs/audit.md): every event that touched it and
// the customers merged into it, oldest first, with what the fold decided on
// each field, merges with their reasons, and (in the feedback service's
// state) the scores and handovers the events caused.
struct Audit {
  // The customer shown. Without `at_ms`, the customer the subject belongs
  // to now; with it, the one it belonged to then (which may have been
  // merged into `survivor_id` since).
  std::string customer_id;
  std::string survivor_id;
  // The customer the subject named, when another customer stands for it:
  // an id, or the customer whose own events carried the e-mail address,
  // merged into customer_id.
  std::string resolved_from;
  std::optional<int64_t> at_ms;
  // The customers merged into customer_id (by at_ms), in the order merged.
  std::vector<Merge> merges;
  // customer_id's fields now, or with at_ms as the decisions of its events
  // up to then left them.
  std::vector<state::v1::FieldValue> fields;
  // By occurred-at, then event id; with at_ms only those up to then.
  std::vector<query::StateQuery::TimelineItem> entries;
};

// The audit of the customer `subject` names, or nullopt when none does.
// With `at_ms`, only what occurred at or before it (by event time).
std::optional<Audit> AuditCustomer(const query::StateQuery& query, const Subject& subject,
                                   std::optional<int64_t> at_ms);

nlohmann::ordered_json AuditJson(const Audit& audit);

// The audit for a terminal: the customer and its merges, its fields, then
// one line per entry (occurred at, kind, source and version, the customer
// whose timeline recorded it, its note) with a line below for each field
// decision, merge and feedback event. `subject` is what the user asked for.
std::string AuditTable(const Audit& audit, const std::string& subject);

// Rows as text columns, each as wide as its widest cell plus two spaces;
// the last non-empty cell of a row is not padded.
std::string TextColumns(const std::vector<std::vector<std::string>>& rows);

}  // namespace accord::audit
