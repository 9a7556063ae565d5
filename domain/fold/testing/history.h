#pragma once

// Histories: fold tests written as data. A history file lists events in
// protobuf text format and the state they must fold to; the format is
// described in domain/fold/histories/README.md. ParseHistory() reads one,
// RunHistory() folds it and returns every expectation that did not hold.

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/message_differencer.h>

#include "accord/state/v1/state.pb.h"
#include "accord/v1/event.pb.h"
#include "domain/events/envelope.h"
#include "domain/events/identity.h"
#include "domain/fold/codec.h"
#include "domain/fold/fold.h"
#include "domain/fold/rules.h"
#include "domain/fold/state.h"
#include "domain/fold/testing/cluster.h"
#include "domain/fold/testing/fold_testing.h"
#include "domain/util/time.h"

namespace accord::fold::test_support {

// A history that cannot be read, with the line (1-based) that says why.
class HistoryError : public std::runtime_error {
 public:
  HistoryError(int line, const std::string& what) : std::runtime_error(what), line(line) {}
  int line;
};

// An expectation that did not hold, or an event the fold refused.
struct HistoryFailure {
  int line;
  std::string message;
};

struct HistoryStep {
  enum class Kind {
    kEvent,             // event [TIME]
    kExpectCustomer,    // expect customer KEY
    kExpectNoCustomer,  // expect no customer KEY
    kExpectLive,        // expect live customers N
    kExpectRow,         // expect row TABLE KEY
    kExpectNoRow,       // expect no row TABLE KEY
    kExpectTimeline,    // expect timeline KEY N
    kExpectVerdict,     // expect verdict VERDICT
    kExpectEmitted,     // expect emitted KIND KEY
  };
  Kind kind = Kind::kEvent;
  int line = 0;       // of the directive
  int body_line = 0;  // of the body's first line
  std::string key;    // identity key, row key, or the key an emitted event is sent to
  Table table = Table::kCustomers;
  std::string what;  // verdict name, payload kind of an emitted event
  uint64_t number = 0;
  v1::Event event;
  // The expected message and where each of its fields was written; null
  // for expectations without a body and for raw rows.
  std::shared_ptr<google::protobuf::Message> expected;
  std::shared_ptr<google::protobuf::TextFormat::ParseInfoTree> written;
  std::string raw;  // expected value of a raw row (identity, funnel, claims)
};

struct History {
  int partitions = 0;  // 0: one shard only
  Rules rules;
  std::vector<HistoryStep> steps;
};

namespace history_internal {

inline std::string Trim(std::string_view text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return "";
  size_t end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(begin, end - begin + 1));
}

inline std::vector<std::string> Words(std::string_view line) {
  std::vector<std::string> words;
  std::string word;
  for (char c : std::string(line) + " ") {
    if (c == ' ' || c == '\t' || c == '\r') {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word += c;
    }
  }
  return words;
}

// Collects the text format parser's complaints with the file's line numbers.
class Errors : public google::protobuf::io::ErrorCollector {
 public:
  explicit Errors(int first_line) : first_line_(first_line) {}
  void AddError(int line, int column, const std::string& message) override {
    if (!error_)
      error_ = HistoryError(first_line_ + line,
                            message + " (column " + std::to_string(column + 1) + ")");
  }
  void AddWarning(int, int, const std::string&) override {}
  std::optional<HistoryError> error_;

 private:
  int first_line_;
};

inline void ParseText(const std::string& text, int first_line, google::protobuf::Message& message,
                      google::protobuf::TextFormat::ParseInfoTree* written) {
  Errors errors(first_line);
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  parser.WriteLocationsTo(written);
  if (!parser.ParseFromString(text, &message)) {
    if (errors.error_) {
      HistoryError error = *errors.error_;
      throw HistoryError(error.line, "not a " + message.GetDescriptor()->full_name() +
                                         " in text format: " + error.what());
    }
    throw HistoryError(first_line, "not a " + message.GetDescriptor()->full_name());
  }
}

inline std::unique_ptr<google::protobuf::Message> RowMessage(Table table) {
  switch (table) {
    case Table::kCustomers:
      return std::make_unique<state::v1::CustomerState>();
    case Table::kDeals:
      return std::make_unique<state::v1::DealState>();
    case Table::kCampaigns:
      return std::make_unique<state::v1::CampaignState>();
    case Table::kCampaignStats:
      return std::make_unique<state::v1::CampaignStats>();
    case Table::kEvents:
      return std::make_unique<state::v1::AppliedEvent>();
    case Table::kTimeline:
      return std::make_unique<state::v1::TimelineEntry>();
    case Table::kActivity:
      return std::make_unique<state::v1::CustomerActivity>();
    case Table::kAccounts:
      return std::make_unique<state::v1::AccountState>();
    default:
      return nullptr;  // identity, funnel and claims hold plain text
  }
}

inline bool IsRawTable(Table table) {
  return table == Table::kIdentity || table == Table::kFunnel || table == Table::kClaims;
}

inline std::optional<Verdict> ParseVerdict(std::string_view name) {
  if (name == "applied") return Verdict::kApplied;
  if (name == "duplicate") return Verdict::kDuplicate;
  if (name == "ignored") return Verdict::kIgnored;
  if (name == "forwarded") return Verdict::kForwarded;
  if (name == "identity") return Verdict::kIdentity;
  return std::nullopt;
}

inline std::string VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kApplied:
      return "applied";
    case Verdict::kDuplicate:
      return "duplicate";
    case Verdict::kIgnored:
      return "ignored";
    case Verdict::kForwarded:
      return "forwarded";
    case Verdict::kIdentity:
      return "identity";
  }
  return "unknown";
}

inline std::string Text(const google::protobuf::Message& message) {
  std::string text;
  google::protobuf::TextFormat::PrintToString(message, &text);
  return text.empty() ? "(every field empty)\n" : text;
}

inline std::string FieldText(const google::protobuf::Message& message,
                             const google::protobuf::FieldDescriptor* field, int index) {
  std::string text;
  google::protobuf::TextFormat::Printer().PrintFieldValueToString(message, field, index, &text);
  return text;
}

// Compares the fields written in the expectation, and only those, with the
// actual message. A field written with its default value (`erased: false`)
// is compared too. A repeated field that is written is compared whole: the
// same number of entries, in order, each entry by the fields written in it.
inline void CompareWritten(const google::protobuf::Message& expected,
                           const google::protobuf::TextFormat::ParseInfoTree& written,
                           const google::protobuf::Message& actual, const std::string& path,
                           int first_line, std::vector<HistoryFailure>& out) {
  const auto* descriptor = expected.GetDescriptor();
  const auto* reflection = expected.GetReflection();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const auto* field = descriptor->field(i);
    const std::string name = path + field->name();
    if (!field->is_repeated()) {
      auto location = written.GetLocation(field, -1);
      if (location.line < 0) continue;
      const int line = first_line + location.line;
      if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
        if (const auto* nested = written.GetTreeForNested(field, -1))
          CompareWritten(reflection->GetMessage(expected, field), *nested,
                         actual.GetReflection()->GetMessage(actual, field), name + ".", first_line,
                         out);
        continue;
      }
      std::string want = FieldText(expected, field, -1), got = FieldText(actual, field, -1);
      if (want != got) out.push_back({line, name + ": expected " + want + ", got " + got});
      continue;
    }
    auto location = written.GetLocation(field, 0);
    if (location.line < 0) continue;
    const int line = first_line + location.line;
    const int want_size = reflection->FieldSize(expected, field);
    const int got_size = actual.GetReflection()->FieldSize(actual, field);
    if (want_size != got_size)
      out.push_back({line, name + ": expected " + std::to_string(want_size) + " entries, got " +
                               std::to_string(got_size)});
    for (int index = 0; index < std::min(want_size, got_size); ++index) {
      const std::string entry = name + "[" + std::to_string(index) + "]";
      auto entry_location = written.GetLocation(field, index);
      const int entry_line = entry_location.line < 0 ? line : first_line + entry_location.line;
      if (field->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
        const auto& want = reflection->GetRepeatedMessage(expected, field, index);
        const auto& got = actual.GetReflection()->GetRepeatedMessage(actual, field, index);
        if (const auto* nested = written.GetTreeForNested(field, index))
          CompareWritten(want, *nested, got, entry + ".", first_line, out);
        else if (!google::protobuf::util::MessageDifferencer::Equals(want, got))
          out.push_back({entry_line, entry + ": expected " + want.ShortDebugString() + ", got " +
                                         got.ShortDebugString()});
        continue;
      }
      std::string want = FieldText(expected, field, index), got = FieldText(actual, field, index);
      if (want != got) out.push_back({entry_line, entry + ": expected " + want + ", got " + got});
    }
  }
}

// Fills what connectors put in every envelope, unless the history wrote it.
inline void CompleteEnvelope(v1::Event& event) {
  if (event.schema_version() == 0) event.set_schema_version(events::kCurrentSchemaVersion);
  if (event.origin() == v1::ORIGIN_UNSPECIFIED) event.set_origin(v1::ORIGIN_EXTERNAL);
  if (event.customer_key().empty() && event.has_customer_upserted()) {
    // As connectors key a contact: its e-mail when usable, else its record.
    auto key = event.customer_upserted().has_email()
                   ? events::EmailIdentityKey(event.customer_upserted().email())
                   : std::nullopt;
    if (!key) key = events::SourceIdentityKey(event.source_system(), event.source_record_id());
    if (key) event.set_customer_key(*key);
  }
  if (event.event_id().empty())
    event.set_event_id(events::MakeEventId(event.source_system(), event.source_record_id(),
                                           event.source_version(), events::PayloadKind(event)));
  if (event.correlation_id().empty()) event.set_correlation_id(event.event_id());
}

}  // namespace history_internal

// Reads a history; throws HistoryError naming the line at fault.
inline History ParseHistory(std::string_view text) {
  using namespace history_internal;
  using Kind = HistoryStep::Kind;
  std::vector<std::string> lines;
  for (size_t begin = 0; begin <= text.size();) {
    size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    lines.emplace_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  History history;
  bool seen_event = false;
  int rule_line = 0;
  for (size_t i = 0; i < lines.size();) {
    const int line = static_cast<int>(i) + 1;
    const std::string trimmed = Trim(lines[i]);
    ++i;
    if (trimmed.empty() || trimmed.front() == '#') continue;
    auto words = Words(trimmed);
    // The body of an event or an expectation of a message: the lines up to
    // the next blank one.
    const bool has_body =
        words[0] == "event" || (words[0] == "expect" && words.size() > 1 &&
                                (words[1] == "customer" || words[1] == "row" ||
                                 words[1] == "timeline" || words[1] == "emitted"));
    const int body_line = static_cast<int>(i) + 1;
    std::string body;
    while (has_body && i < lines.size() && !Trim(lines[i]).empty()) body += lines[i++] + "\n";
    auto number = [&](const std::string& word) -> uint64_t {
      if (word.empty() || word.find_first_not_of("0123456789") != std::string::npos)
        throw HistoryError(line, "\"" + word + "\" is not a number");
      return std::stoull(word);
    };
    HistoryStep step;
    step.line = line;
    step.body_line = body_line;
    if (words[0] == "partitions") {
      if (words.size() != 2) throw HistoryError(line, "usage: partitions N");
      if (seen_event || !history.steps.empty())
        throw HistoryError(line, "partitions goes before the first event");
      history.partitions = static_cast<int>(number(words[1]));
      if (history.partitions < 2 || history.partitions > 64)
        throw HistoryError(line, "partitions takes 2 to 64 (one shard is always run)");
      continue;
    }
    if (words[0] == "rule") {
      if (words.size() < 3)
        throw HistoryError(line, "usage: rule FIELD RULE, e.g. rule first_name prefer crm");
      if (seen_event) throw HistoryError(line, "rules go before the first event");
      FieldRule rule;
      try {
        rule = ParseFieldRule(trimmed.substr(trimmed.find(words[1]) + words[1].size()));
      } catch (const std::invalid_argument& e) {
        throw HistoryError(line, e.what());
      }
      rule_line = line;
      if (words[1] == "default")
        history.rules.default_rule = rule;
      else
        history.rules.fields[words[1]] = rule;
      continue;
    }
    if (words[0] == "event") {
      if (words.size() > 2)
        throw HistoryError(line, "usage: event [TIME], e.g. event 2025-03-14T09:30Z");
      if (body.empty())
        throw HistoryError(line, "event without a body (a v1.Event in text format)");
      step.kind = Kind::kEvent;
      ParseText(body, body_line, step.event, nullptr);
      if (words.size() == 2) {
        auto at = ParseIsoTimestampMs(words[1]);
        if (!at)
          throw HistoryError(line, "\"" + words[1] +
                                       "\" is not a time like 2025-03-14T09:30Z or "
                                       "2025-03-14T09:30:15Z");
        if (step.event.occurred_at_ms() != 0)
          throw HistoryError(line,
                             "the time is given twice: on the event line and as "
                             "occurred_at_ms");
        step.event.set_occurred_at_ms(*at);
      }
      CompleteEnvelope(step.event);
      v1::Event decoded;
      auto result = events::DecodeEvent(step.event.SerializeAsString(), decoded);
      if (result.error != events::DecodeError::kNone)
        throw HistoryError(line, "the projection would refuse this event: " + result.reason);
      step.event = std::move(decoded);
      seen_event = true;
      history.steps.push_back(std::move(step));
      continue;
    }
    if (words[0] != "expect")
      throw HistoryError(line, "unknown directive \"" + words[0] +
                                   "\" (event, expect, rule, partitions; comments start with #; "
                                   "only event and expect customer, row, timeline and emitted "
                                   "take a body, which ends at a blank line)");
    const std::vector<std::string> args(words.begin() + 1, words.end());
    auto usage = [&](bool ok, const char* text) {
      if (!ok) throw HistoryError(line, std::string("usage: ") + text);
    };
    auto expect_body = [&](std::unique_ptr<google::protobuf::Message> message) {
      step.written = std::make_shared<google::protobuf::TextFormat::ParseInfoTree>();
      ParseText(body, body_line, *message, step.written.get());
      step.expected = std::move(message);
    };
    auto table_of = [&](const std::string& name) {
      for (auto table : kAllTables)
        if (TableName(table) == name) {
          if (!IsRawTable(table) && !RowMessage(table))
            throw HistoryError(line, "the projection's fold does not write " + name);
          return table;
        }
      throw HistoryError(line, "no table \"" + name + "\" (docs/state.md names them)");
    };
    if (args.size() >= 1 && args[0] == "customer") {
      usage(args.size() == 2, "expect customer IDENTITY-KEY");
      step.kind = Kind::kExpectCustomer;
      step.key = args[1];
      expect_body(std::make_unique<state::v1::CustomerState>());
    } else if (args.size() >= 2 && args[0] == "no" && args[1] == "customer") {
      usage(args.size() == 3, "expect no customer IDENTITY-KEY");
      step.kind = Kind::kExpectNoCustomer;
      step.key = args[2];
    } else if (args.size() >= 2 && args[0] == "live" && args[1] == "customers") {
      usage(args.size() == 3, "expect live customers N");
      step.kind = Kind::kExpectLive;
      step.number = number(args[2]);
    } else if (args.size() >= 1 && args[0] == "row") {
      usage(args.size() == 3, "expect row TABLE KEY");
      step.kind = Kind::kExpectRow;
      step.table = table_of(args[1]);
      step.key = args[2];
      if (IsRawTable(step.table)) {
        step.raw = Trim(body);
        if (step.raw.empty() || step.raw.find('\n') != std::string::npos)
          throw HistoryError(body_line, "a row of " + args[1] + " is one line of text");
      } else {
        expect_body(RowMessage(step.table));
      }
    } else if (args.size() >= 2 && args[0] == "no" && args[1] == "row") {
      usage(args.size() == 4, "expect no row TABLE KEY");
      step.kind = Kind::kExpectNoRow;
      step.table = table_of(args[2]);
      step.key = args[3];
    } else if (args.size() >= 1 && args[0] == "timeline") {
      usage(args.size() == 3, "expect timeline IDENTITY-KEY N (N counts from 0)");
      step.kind = Kind::kExpectTimeline;
      step.key = args[1];
      step.number = number(args[2]);
      expect_body(std::make_unique<state::v1::TimelineEntry>());
    } else if (args.size() >= 1 && args[0] == "verdict") {
      usage(args.size() == 2, "expect verdict applied|duplicate|ignored|forwarded|identity");
      if (!seen_event) throw HistoryError(line, "a verdict is the last event's: no event yet");
      if (!ParseVerdict(args[1]))
        throw HistoryError(line, "no verdict \"" + args[1] +
                                     "\" (applied, duplicate, ignored, forwarded, identity)");
      step.kind = Kind::kExpectVerdict;
      step.what = args[1];
    } else if (args.size() >= 1 && args[0] == "emitted") {
      usage(args.size() == 3,
            "expect emitted PAYLOAD-KIND KEY, e.g. expect emitted "
            "identity_released email:anna@example.org");
      if (!seen_event)
        throw HistoryError(line, "emitted events are the last event's: no event yet");
      if (!v1::Event::descriptor()->FindFieldByName(args[1]))
        throw HistoryError(line, "no payload kind \"" + args[1] + "\" in accord.v1.Event");
      step.kind = Kind::kExpectEmitted;
      step.what = args[1];
      step.key = args[2];
      if (!body.empty()) expect_body(std::make_unique<v1::Event>());
    } else {
      throw HistoryError(line, "unknown expectation \"" + trimmed +
                                   "\" (customer, no customer, live customers, row, no row, "
                                   "timeline, verdict, emitted)");
    }
    history.steps.push_back(std::move(step));
  }
  if (!seen_event) throw HistoryError(1, "a history needs at least one event");
  if (history.partitions > 0 && rule_line > 0)
    throw HistoryError(rule_line,
                       "rules and partitions do not go together: testing/cluster.h folds with "
                       "the rule \"newest\" for every field");
  return history;
}

namespace history_internal {

inline std::string Where(int partitions, uint64_t seed) {
  if (partitions == 0) return "";
  return " [" + std::to_string(partitions) + " partitions, delivery order " + std::to_string(seed) +
         "]";
}

// Checks one expectation against an actual message, or its absence.
inline void CheckMessage(const HistoryStep& step, const std::string& what,
                         const google::protobuf::Message* actual, const std::string& where,
                         std::vector<HistoryFailure>& out) {
  if (!actual) {
    out.push_back({step.line, what + ": there is none" + where});
    return;
  }
  if (!step.expected) return;
  std::vector<HistoryFailure> mismatches;
  CompareWritten(*step.expected, *step.written, *actual, "", step.body_line, mismatches);
  if (mismatches.empty()) return;
  std::string message = what + where + " differs:";
  for (const auto& mismatch : mismatches)
    message += "\n  line " + std::to_string(mismatch.line) + ": " + mismatch.message;
  message += "\nexpected (as written):\n" + Text(*step.expected) + "actual:\n" + Text(*actual);
  out.push_back({mismatches.front().line, std::move(message)});
}

// One shard: the events between two expectations are published together,
// and what their fold emits is folded after them, as one partition would.
class ShardRun {
 public:
  ShardRun(const History& history, std::vector<HistoryFailure>& out)
      : history_(history), out_(out) {}

  void Run() {
    for (const auto& step : history_.steps) {
      if (step.kind == HistoryStep::Kind::kEvent) {
        last_ = Fold(step.event, step.line);
        pending_.insert(pending_.end(), last_.emitted.begin(), last_.emitted.end());
        continue;
      }
      Settle(step.line);
      Check(step);
    }
  }

 private:
  Outcome Fold(const v1::Event& event, int line) {
    try {
      Outcome outcome = Apply(state_, event, history_.rules);
      state_.Write(outcome.changes);
      return outcome;
    } catch (const std::exception& e) {
      out_.push_back({line, std::string("the fold threw: ") + e.what()});
      return Outcome();
    }
  }

  void Settle(int line) {
    for (int folded = 0; !pending_.empty(); ++folded) {
      if (folded > 10'000) {
        out_.push_back({line, "the fold's emitted events keep circling"});
        pending_.clear();
        return;
      }
      v1::Event event = std::move(pending_.front());
      pending_.pop_front();
      Outcome outcome = Fold(event, line);
      for (auto& emitted : outcome.emitted) pending_.push_back(std::move(emitted));
    }
  }

  std::optional<state::v1::CustomerState> Customer(const std::string& key) const {
    auto id = state_.Get(Table::kIdentity, key);
    if (!id) return std::nullopt;
    return LoadCustomer(state_, *id);
  }

  void Check(const HistoryStep& step) {
    using Kind = HistoryStep::Kind;
    switch (step.kind) {
      case Kind::kExpectCustomer: {
        auto customer = Customer(step.key);
        CheckMessage(step, "customer " + step.key, customer ? &*customer : nullptr, "", out_);
        break;
      }
      case Kind::kExpectNoCustomer:
        if (auto customer = Customer(step.key))
          out_.push_back({step.line, "expected no customer under " + step.key + ", found:\n" +
                                         Text(*customer)});
        break;
      case Kind::kExpectLive: {
        uint64_t live = 0;
        for (const auto& [id, bytes] : state_.Rows(Table::kCustomers)) {
          auto customer = DecodeState<state::v1::CustomerState>(bytes, Table::kCustomers, id);
          if (customer.merged_into().empty() && customer.merged_into_key().empty()) ++live;
        }
        if (live != step.number)
          out_.push_back({step.line, "expected " + std::to_string(step.number) +
                                         " live customers, got " + std::to_string(live)});
        break;
      }
      case Kind::kExpectRow:
      case Kind::kExpectNoRow:
        CheckRow(step);
        break;
      case Kind::kExpectTimeline: {
        const std::string what =
            "timeline entry " + std::to_string(step.number) + " of " + step.key;
        auto customer = Customer(step.key);
        if (!customer) {
          out_.push_back({step.line, what + ": no customer under " + step.key});
          break;
        }
        auto bytes =
            state_.Get(Table::kTimeline, TimelineKey(customer->customer_id(), step.number));
        std::optional<state::v1::TimelineEntry> entry;
        if (bytes)
          entry = DecodeState<state::v1::TimelineEntry>(*bytes, Table::kTimeline, step.key);
        CheckMessage(step, what, entry ? &*entry : nullptr, "", out_);
        break;
      }
      case Kind::kExpectVerdict:
        if (VerdictName(last_.verdict) != step.what)
          out_.push_back(
              {step.line, "expected verdict " + step.what + ", got " + VerdictName(last_.verdict)});
        break;
      case Kind::kExpectEmitted: {
        std::string seen;
        for (const auto& emitted : last_.emitted) {
          if (events::PayloadKind(emitted) != step.what || emitted.customer_key() != step.key) {
            seen +=
                "\n  " + std::string(events::PayloadKind(emitted)) + " " + emitted.customer_key();
            continue;
          }
          CheckMessage(step, "emitted " + step.what + " to " + step.key, &emitted, "", out_);
          return;
        }
        out_.push_back({step.line, "the last event emitted no " + step.what + " to " + step.key +
                                       "; it emitted:" + (seen.empty() ? " nothing" : seen)});
        break;
      }
      case Kind::kEvent:
        break;
    }
  }

  void CheckRow(const HistoryStep& step) {
    const std::string what = "row " + std::string(TableName(step.table)) + " " + step.key;
    auto bytes = state_.Get(step.table, step.key);
    if (step.kind == HistoryStep::Kind::kExpectNoRow) {
      if (bytes) out_.push_back({step.line, "expected no " + what + ", found one"});
      return;
    }
    if (!bytes) {
      out_.push_back({step.line, what + ": there is none"});
      return;
    }
    if (IsRawTable(step.table)) {
      if (*bytes != step.raw)
        out_.push_back(
            {step.body_line, what + ": expected \"" + step.raw + "\", got \"" + *bytes + "\""});
      return;
    }
    auto actual = RowMessage(step.table);
    if (!actual->ParseFromString(*bytes)) {
      out_.push_back({step.line, what + ": unreadable value"});
      return;
    }
    CheckMessage(step, what, actual.get(), "", out_);
  }

  const History& history_;
  std::vector<HistoryFailure>& out_;
  MemoryState state_;
  std::deque<v1::Event> pending_;
  Outcome last_;
};

// Several partitions (testing/cluster.h), delivered in the order `seed`
// picks; only the expectations about customers are checked, since rows
// spread over the shards.
inline void RunCluster(const History& history, uint64_t seed, std::vector<HistoryFailure>& out) {
  Cluster cluster(history.partitions, seed);
  const std::string where = Where(history.partitions, seed);
  for (const auto& step : history.steps) {
    using Kind = HistoryStep::Kind;
    if (step.kind == Kind::kEvent) {
      cluster.Publish(step.event);
      continue;
    }
    cluster.Drain();
    if (step.kind == Kind::kExpectCustomer) {
      auto found = cluster.Find(step.key);
      CheckMessage(step, "customer " + step.key, found ? &found->customer : nullptr, where, out);
    } else if (step.kind == Kind::kExpectNoCustomer) {
      if (auto found = cluster.Find(step.key))
        out.push_back({step.line, "expected no customer under " + step.key + where + ", found:\n" +
                                      Text(found->customer)});
    } else if (step.kind == Kind::kExpectLive) {
      if (cluster.Live().size() != step.number)
        out.push_back({step.line, "expected " + std::to_string(step.number) +
                                      " live customers, got " +
                                      std::to_string(cluster.Live().size()) + where});
    }
  }
}

}  // namespace history_internal

// Folds the history on one shard, then, when it names partitions, on that
// many partitions in several delivery orders. Returns what did not hold.
inline std::vector<HistoryFailure> RunHistory(const History& history) {
  std::vector<HistoryFailure> failures;
  history_internal::ShardRun(history, failures).Run();
  if (history.partitions > 0)
    for (uint64_t seed = 1; seed <= 3; ++seed)
      history_internal::RunCluster(history, seed, failures);
  return failures;
}

}  // namespace accord::fold::test_support
