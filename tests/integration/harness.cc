#include "tests/integration/harness.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "domain/events/identity.h"
#include "io/kafka/client.h"
#include "io/store/store.h"

namespace accord::testing {
namespace fs = std::filesystem;

std::string Bootstrap() {
  const char* bootstrap = std::getenv("ACCORD_TEST_BOOTSTRAP");
  if (bootstrap == nullptr || *bootstrap == '\0') {
    ADD_FAILURE() << "ACCORD_TEST_BOOTSTRAP is not set: run the integration tests through ctest "
                     "(tests/run.sh), which starts the broker";
    return "127.0.0.1:1";
  }
  return bootstrap;
}

std::string PostgresDsn() {
  const char* dsn = std::getenv("ACCORD_TEST_PG_DSN");
  if (dsn == nullptr || *dsn == '\0') {
    ADD_FAILURE() << "ACCORD_TEST_PG_DSN is not set: run the integration tests through ctest "
                     "(tests/run.sh), which starts PostgreSQL for tests named Cdc.*";
    return "host=127.0.0.1 port=1 dbname=accord user=accord";
  }
  return dsn;
}

kafka::Config KafkaConfigFor(const std::string& prefix) {
  kafka::Config kafka;
  kafka.bootstrap_servers = Bootstrap();
  kafka.topic_prefix = prefix;
  return kafka;
}

Topics CreateTopics(const std::string& test_name, int partitions) {
  static std::atomic<int> counter{0};
  std::string prefix =
      "it-" + test_name + "-" + std::to_string(getpid()) + "-" +
      std::to_string(std::chrono::system_clock::now().time_since_epoch().count() % 1000000000) +
      "-" + std::to_string(counter++);
  Topics topics{prefix, events::Topics(prefix)};
  kafka::EnsureTopics(
      KafkaConfigFor(prefix),
      {topics.names.events, topics.names.campaigns, topics.names.feedback, topics.names.deadletter},
      partitions, 1);
  return topics;
}

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "accord-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

AccordProcess::AccordProcess(const std::vector<std::string>& args, const std::string& topic_prefix,
                             const std::map<std::string, std::string>& extra_env) {
  const char* binary = ACCORD_BIN;
  // Port 0: every projection and feedback service serves its HTTP API on a
  // free port of its own, so tests running side by side never collide on the
  // default one.
  std::map<std::string, std::string> env = {
      {"ACCORD_KAFKA_BOOTSTRAP_SERVERS", Bootstrap()},
      {"ACCORD_KAFKA_TOPIC_PREFIX", topic_prefix},
      {"ACCORD_PROJECT_HTTP_LISTEN", "127.0.0.1:0"},
      // Consumer groups of the test's own: a service a test stopped stays a
      // static member of its group until the session timeout, and would
      // hold up other tests' members of a shared group until then.
      {"ACCORD_PROJECT_GROUP_ID", topic_prefix + "-projection"},
      {"ACCORD_FEEDBACK_GROUP_ID", topic_prefix + "-feedback"},
      {"ACCORD_FEEDBACK_HTTP_LISTEN", "127.0.0.1:0"},
      // Every HTTP API needs credentials: tests hold a token of each role.
      {"ACCORD_HTTP_TOKENS", "test-admin:admin,test-read:read,test-aggregate:aggregate"},
      {"ACCORD_HTTP_TOKEN_TEST_ADMIN", kAdminToken},
      {"ACCORD_HTTP_TOKEN_TEST_READ", kReadToken},
      {"ACCORD_HTTP_TOKEN_TEST_AGGREGATE", kAggregateToken},
      // What accord snapshot create sends.
      {"ACCORD_API_TOKEN", kAdminToken},
      // Tests tick with `accord tick --at`: the wall clock would make what
      // a history folds to depend on when the test ran.
      {"ACCORD_FEEDBACK_TICK_INTERVAL_S", "0"},
      // One import ledger per test's topics, outside the
      // working directory.
      {"ACCORD_IMPORT_LEDGER",
       (std::filesystem::temp_directory_path() / ("accord-ledger-" + topic_prefix)).string()}};
  for (const auto& [key, value] : extra_env) env[key] = value;
  std::string out = output_ / "stdout", err = output_ / "stderr";
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    for (const auto& [key, value] : env) setenv(key.c_str(), value.c_str(), 1);
    if (!freopen(out.c_str(), "w", stdout) || !freopen(err.c_str(), "w", stderr)) _exit(126);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(binary));
    for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    execv(binary, argv.data());
    _exit(127);
  }
}

AccordProcess::~AccordProcess() {
  if (!exited_) {
    Kill(SIGKILL);
    waitpid(pid_, &status_, 0);
  }
}

bool AccordProcess::Running() {
  if (exited_) return false;
  if (waitpid(pid_, &status_, WNOHANG) == pid_) exited_ = true;
  return !exited_;
}

void AccordProcess::Kill(int signal) {
  if (!exited_) kill(pid_, signal);
}

int AccordProcess::Wait(std::chrono::seconds timeout) {
  if (!WaitUntil([&] { return !Running(); }, timeout)) {
    ADD_FAILURE() << "accord did not exit within " << timeout.count() << " s; stderr:\n"
                  << Stderr();
    Kill(SIGKILL);
    waitpid(pid_, &status_, 0);
    exited_ = true;
  }
  return WIFEXITED(status_) ? WEXITSTATUS(status_) : -WTERMSIG(status_);
}

static std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

std::string AccordProcess::Stdout() const {
  return ReadFile(output_ / "stdout");
}
std::string AccordProcess::Stderr() const {
  return ReadFile(output_ / "stderr");
}

RunResult RunAccord(const std::vector<std::string>& args, const std::string& topic_prefix,
                    const std::map<std::string, std::string>& extra_env) {
  AccordProcess process(args, topic_prefix, extra_env);
  int code = process.Wait();
  return {code, process.Stdout(), process.Stderr()};
}

int64_t FoldedOffsets(const std::vector<std::string>& dbs) {
  std::map<std::pair<std::string, int32_t>, int64_t> furthest;
  for (const auto& db : dbs) {
    try {
      auto store = store::Store::Open(db, store::Store::Mode::kReadOnly);
      for (const auto& offset : store->AllOffsets()) {
        auto& next = furthest[{offset.stream, offset.partition}];
        next = std::max(next, offset.next_offset);
      }
    } catch (const store::StoreError&) {
      // not created yet
    }
  }
  int64_t total = 0;
  for (const auto& [partition, next] : furthest) total += next;
  return total;
}

int64_t EndOffsets(const Topics& topics) {
  auto conf =
      kafka::MakeConf(KafkaConfigFor(topics.prefix), {{"group.id", topics.prefix + "-ends"}});
  std::string error;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer) throw std::runtime_error("cannot create consumer: " + error);
  std::unique_ptr<RdKafka::Metadata> metadata;
  RdKafka::Metadata* raw = nullptr;
  if (consumer->metadata(true, nullptr, &raw, 10'000) != RdKafka::ERR_NO_ERROR)
    throw std::runtime_error("cannot read metadata");
  metadata.reset(raw);
  int64_t total = 0;
  for (const auto* topic : *metadata->topics()) {
    if (topic->topic() != topics.names.events && topic->topic() != topics.names.campaigns) continue;
    for (const auto* partition : *topic->partitions()) {
      int64_t low = 0, high = 0;
      if (consumer->query_watermark_offsets(topic->topic(), partition->id(), &low, &high, 10'000) !=
          RdKafka::ERR_NO_ERROR)
        throw std::runtime_error("cannot read end offset of " + topic->topic());
      total += high;
    }
  }
  consumer->close();
  return total;
}

std::map<int32_t, std::vector<v1::Event>> ReadPartitions(const std::string& topic) {
  // assign() instead of subscribe() avoids waiting for a group rebalance; the
  // end of each partition is its EOF event, since transaction markers make
  // offsets a poor count of messages.
  auto conf = kafka::MakeConf(KafkaConfigFor(""), {{"group.id", topic + "-reader"},
                                                   {"enable.auto.commit", "false"},
                                                   {"enable.partition.eof", "true"}});
  std::string error;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer) throw std::runtime_error("cannot create consumer: " + error);
  std::unique_ptr<RdKafka::Topic> handle(
      RdKafka::Topic::create(consumer.get(), topic, nullptr, error));
  // A busy or just started broker may answer a metadata request late or
  // without the topic's partitions: ask again within a bound.
  std::unique_ptr<RdKafka::Metadata> metadata;
  const auto metadata_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    RdKafka::Metadata* raw = nullptr;
    if (consumer->metadata(false, handle.get(), &raw, 5'000) == RdKafka::ERR_NO_ERROR) {
      metadata.reset(raw);
      const auto* topics = metadata->topics();
      if (!topics->empty() && topics->front()->err() == RdKafka::ERR_NO_ERROR &&
          !topics->front()->partitions()->empty())
        break;
    }
    if (std::chrono::steady_clock::now() >= metadata_deadline)
      throw std::runtime_error("cannot read metadata of " + topic);
  }
  std::vector<RdKafka::TopicPartition*> partitions;
  for (const auto* partition : *metadata->topics()->front()->partitions())
    partitions.push_back(
        RdKafka::TopicPartition::create(topic, partition->id(), RdKafka::Topic::OFFSET_BEGINNING));
  const size_t partition_count = partitions.size();
  consumer->assign(partitions);
  RdKafka::TopicPartition::destroy(partitions);
  std::map<int32_t, std::vector<v1::Event>> events;
  std::set<int32_t> at_end;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (at_end.size() < partition_count && std::chrono::steady_clock::now() < deadline) {
    std::unique_ptr<RdKafka::Message> message(consumer->consume(200));
    if (message->err() == RdKafka::ERR__PARTITION_EOF) at_end.insert(message->partition());
    if (message->err() != RdKafka::ERR_NO_ERROR) continue;
    v1::Event event;
    if (!event.ParseFromArray(message->payload(), static_cast<int>(message->len())))
      throw std::runtime_error("a message in " + topic + " is not an event");
    events[message->partition()].push_back(std::move(event));
  }
  consumer->close();
  if (at_end.size() < partition_count)
    throw std::runtime_error("could not read all of " + topic + " within 30 s");
  return events;
}

std::vector<v1::Event> ReadTopic(const std::string& topic) {
  std::vector<v1::Event> events;
  for (auto& [partition, messages] : ReadPartitions(topic))
    for (auto& event : messages) events.push_back(std::move(event));
  return events;
}

int ServedPort(const AccordProcess& process, const std::string& what) {
  const std::string log = process.Stderr();
  for (const char* scheme : {"http", "https"}) {
    const std::string marker = "serving " + what + " on " + scheme + "://127.0.0.1:";
    if (auto at = log.find(marker); at != std::string::npos)
      return std::atoi(log.c_str() + at + marker.size());
  }
  return 0;
}

bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

static void FillEnvelope(v1::Event& event, const std::string& system, const std::string& record_id,
                         uint64_t version, int64_t occurred_at_ms, const std::string& email) {
  event.set_customer_key(*events::EmailIdentityKey(email));
  events::StampEnvelope(event, {system, record_id, version, occurred_at_ms});
  event.set_ingested_at_ms(occurred_at_ms);
}

v1::Event ContactEvent(const std::string& system, const std::string& record_id, uint64_t version,
                       int64_t occurred_at_ms, const std::string& email,
                       const std::string& last_name) {
  v1::Event event;
  event.mutable_customer_upserted()->set_email(email);
  event.mutable_customer_upserted()->set_last_name(last_name);
  FillEnvelope(event, system, record_id, version, occurred_at_ms, email);
  return event;
}

v1::Event EngagementEvent(const std::string& system, const std::string& record_id,
                          int64_t occurred_at_ms, const std::string& email,
                          const std::string& campaign_id) {
  v1::Event event;
  event.mutable_campaign_engagement()->set_campaign_id(campaign_id);
  event.mutable_campaign_engagement()->set_kind(v1::ENGAGEMENT_KIND_OPENED);
  FillEnvelope(event, system, record_id, 1, occurred_at_ms, email);
  return event;
}

void PublishEvents(const Topics& topics, const std::vector<v1::Event>& events) {
  kafka::Publisher publisher(KafkaConfigFor(topics.prefix));
  for (const auto& event : events)
    publisher.Publish(event.has_campaign_upserted() ? topics.names.campaigns : topics.names.events,
                      events::MessageKey(event), event.SerializeAsString());
  auto result = publisher.Flush();
  ASSERT_EQ(result.failed, 0u) << result.first_error;
  ASSERT_EQ(result.delivered, events.size());
}

void PublishRaw(const Topics& topics, const std::string& key, const std::string& value) {
  kafka::Publisher publisher(KafkaConfigFor(topics.prefix));
  publisher.Publish(topics.names.events, key, value);
  auto result = publisher.Flush();
  ASSERT_EQ(result.failed, 0u) << result.first_error;
}

}  // namespace accord::testing
