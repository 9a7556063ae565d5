#include "services/deadletter/deadletter_command.h"

#include <librdkafka/rdkafkacpp.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "domain/events/envelope.h"
#include "io/kafka/client.h"

namespace accord::deadletter {
namespace {

struct DeadLetter {
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string value;
  std::map<std::string, std::string> headers;

  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// Reads the whole dead-letter topic as it is now: every partition from its
// beginning to the end offset it had when reading started.
std::vector<DeadLetter> ReadAll(const kafka::Config& kafka) {
  const std::string topic = events::Topics(kafka.topic_prefix).deadletter;
  auto conf = kafka::MakeConf(kafka, {{"group.id", "accord-deadletter-reader"},
                                      {"enable.auto.commit", "false"},
                                      {"enable.partition.eof", "true"}});
  std::string error;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer) throw kafka::KafkaError("cannot create Kafka consumer: " + error);
  kafka::RequireReachable(*consumer, kafka);

  std::vector<RdKafka::TopicPartition*> partitions;
  std::set<int32_t> open;
  for (const auto& range : kafka::ListPartitions(*consumer, kafka, topic)) {
    if (range.high > range.low) {
      partitions.push_back(RdKafka::TopicPartition::create(topic, range.partition, range.low));
      open.insert(range.partition);
    }
  }
  std::vector<DeadLetter> letters;
  if (partitions.empty()) return letters;
  consumer->assign(partitions);
  RdKafka::TopicPartition::destroy(partitions);
  while (!open.empty()) {
    std::unique_ptr<RdKafka::Message> message(consumer->consume(kafka.connect_timeout_ms));
    if (message->err() == RdKafka::ERR__PARTITION_EOF) {
      open.erase(message->partition());
      continue;
    }
    if (message->err() == RdKafka::ERR__TIMED_OUT)
      throw kafka::KafkaError("reading " + topic + " timed out");
    if (message->err() != RdKafka::ERR_NO_ERROR)
      throw kafka::KafkaError("reading " + topic + ": " + message->errstr());
    DeadLetter letter;
    letter.partition = message->partition();
    letter.offset = message->offset();
    if (message->key()) letter.key = *message->key();
    letter.value.assign(static_cast<const char*>(message->payload()), message->len());
    if (const RdKafka::Headers* headers = message->headers())
      for (const auto& header : headers->get_all())
        letter.headers[header.key()] =
            std::string(static_cast<const char*>(header.value()), header.value_size());
    letters.push_back(std::move(letter));
  }
  consumer->close();
  return letters;
}

struct Filter {
  std::vector<std::string> ids;
  std::string reason_code;
  std::string source_topic;
  bool all = false;

  bool Matches(const DeadLetter& letter) const {
    if (!ids.empty() &&
        std::find(ids.begin(), ids.end(), letter.Header("accord.deadletter.id")) == ids.end())
      return false;
    if (!reason_code.empty() && letter.Header("accord.reason.code") != reason_code) return false;
    if (!source_topic.empty() && letter.Header("accord.source.topic") != source_topic) return false;
    return true;
  }
  bool Empty() const { return ids.empty() && reason_code.empty() && source_topic.empty(); }
};

nlohmann::ordered_json LetterJson(const DeadLetter& letter) {
  return {{"id", letter.Header("accord.deadletter.id")},
          {"reason_code", letter.Header("accord.reason.code")},
          {"reason", letter.Header("accord.reason")},
          {"source_topic", letter.Header("accord.source.topic")},
          {"source_partition", letter.Header("accord.source.partition")},
          {"source_offset", letter.Header("accord.source.offset")},
          {"key", letter.key},
          {"bytes", letter.value.size()},
          {"deadletter_partition", letter.partition},
          {"deadletter_offset", letter.offset}};
}

void List(const Filter& filter, const std::string& format, cli::Context& context) {
  auto letters = ReadAll(context.Config().kafka);
  size_t shown = 0;
  for (const auto& letter : letters) {
    if (!filter.Matches(letter)) continue;
    ++shown;
    if (format == "json") {
      std::cout << LetterJson(letter).dump() << "\n";
    } else {
      std::cout << letter.Header("accord.deadletter.id") << "  "
                << letter.Header("accord.reason.code") << "  " << letter.Header("accord.reason")
                << "\n";
    }
  }
  if (format != "json") std::cerr << shown << " of " << letters.size() << " dead letters shown\n";
}

void Redrive(const Filter& filter, bool dry_run, cli::Context& context) {
  if (filter.Empty() && !filter.all)
    throw CLI::ValidationError("redrive",
                               "name what to redrive: --id, --reason-code, "
                               "--source-topic, or --all");
  const auto& kafka = context.Config().kafka;
  auto letters = ReadAll(kafka);
  std::unique_ptr<kafka::Publisher> publisher;
  if (!dry_run) publisher = std::make_unique<kafka::Publisher>(kafka);
  size_t chosen = 0;
  for (const auto& letter : letters) {
    if (!filter.Matches(letter)) continue;
    const std::string target = letter.Header("accord.source.topic");
    if (target.empty()) {
      std::cerr << "skipping dead letter at partition " << letter.partition << " offset "
                << letter.offset << ": it names no source topic\n";
      continue;
    }
    ++chosen;
    std::cout << (dry_run ? "would redrive " : "redriving ")
              << letter.Header("accord.deadletter.id") << " to " << target << "\n";
    if (publisher)
      publisher->Publish(target, letter.key, letter.value,
                         {{"accord.redriven.from", letter.Header("accord.deadletter.id")}});
  }
  if (publisher) {
    auto result = publisher->Flush();
    if (result.failed > 0)
      throw kafka::KafkaError(std::to_string(result.failed) +
                              " messages were not acknowledged: " + result.first_error);
  }
  std::cout << (dry_run ? "would redrive " : "redrove ") << chosen << " of " << letters.size()
            << " dead letters\n";
}

void AddFilterOptions(CLI::App* command, Filter& filter) {
  command->add_option("--id", filter.ids,
                      "Dead letter id <topic>/<partition>/<offset> of the original message "
                      "(repeatable)");
  command->add_option("--reason-code", filter.reason_code,
                      "Only this reason: not_protobuf, future_schema, invalid, wrong_key "
                      "(the projection's); sink_refused, sink_gave_up, not_an_event (a sink's)");
  command->add_option("--source-topic", filter.source_topic, "Only messages from this topic");
}

}  // namespace

void RegisterDeadletterCommands(CLI::App& app, cli::Context& context) {
  auto* deadletter = app.add_subcommand("deadletter", "Inspect and re-drive parked messages");
  deadletter->require_subcommand(1);
  deadletter->footer(
      "Messages the projection cannot fold (not a protobuf event, a newer schema version, an "
      "invalid envelope), and feedback events a sink could not deliver (refused, or still "
      "failing after its last attempt), are parked in <prefix>.deadletter with headers naming "
      "the reason and the topic, partition and offset they came from.");

  auto filter = std::make_shared<Filter>();
  auto format = std::make_shared<std::string>("table");
  auto* list = deadletter->add_subcommand("list", "List the dead letters with their reasons");
  AddFilterOptions(list, *filter);
  list->add_option("--format", *format, "table (id, reason code, reason) or json (one per line)")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  list->callback([filter, format, &context] { List(*filter, *format, context); });

  auto dry_run = std::make_shared<bool>(false);
  auto* redrive = deadletter->add_subcommand(
      "redrive", "Re-publish dead letters to the topic they came from, after a fix");
  redrive->footer(
      "Each chosen message is published again, byte for byte and with its key, to its source "
      "topic, with the header accord.redriven.from. The projection drops event ids it has "
      "folded, so redriving a message twice is harmless; one that still cannot be folded is "
      "parked again.");
  AddFilterOptions(redrive, *filter);
  redrive->add_flag("--all", filter->all, "Redrive every dead letter");
  redrive->add_flag("--dry-run", *dry_run, "Show what would be redriven; publish nothing");
  redrive->callback([filter, dry_run, &context] { Redrive(*filter, *dry_run, context); });
}

}  // namespace accord::deadletter
