#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "accord/v1/event.pb.h"
#include "app/config/config.h"
#include "domain/events/envelope.h"

namespace accord::testing {

// The broker ctest started (ACCORD_TEST_BOOTSTRAP); fails the test when unset,
// since an integration test that cannot reach its broker proves nothing.
std::string Bootstrap();

// The PostgreSQL server ctest started for tests named Cdc.* (ACCORD_TEST_PG_DSN,
// a libpq connection string); fails the test when unset.
std::string PostgresDsn();

// A topic prefix of its own for one test, with its topics created, so tests
// never see each other's events.
struct Topics {
  std::string prefix;
  events::Topics names;
};
Topics CreateTopics(const std::string& test_name, int partitions);

kafka::Config KafkaConfigFor(const std::string& prefix);

// A fresh directory under the system temp dir, removed with its contents.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// The bearer tokens every `accord` a test runs accepts, one per role
// (ACCORD_HTTP_TOKENS, docs/security.md).
inline constexpr char kAdminToken[] = "test-admin-token-0123456789abcdef";
inline constexpr char kReadToken[] = "test-read-token-0123456789abcdef";
inline constexpr char kAggregateToken[] = "test-aggregate-token-0123456789abcdef";

// `accord` run as a child process (the binary this build made), with the test's Kafka
// settings in its environment and its output captured in files.
class AccordProcess {
 public:
  AccordProcess(const std::vector<std::string>& args, const std::string& topic_prefix,
                const std::map<std::string, std::string>& extra_env = {});
  ~AccordProcess();

  // Waits for exit; returns the exit code, or -signal when killed. Fails the
  // test (and kills the child) when it does not exit within `timeout`.
  int Wait(std::chrono::seconds timeout = std::chrono::seconds(180));
  void Kill(int signal);
  bool Running();
  std::string Stdout() const;
  std::string Stderr() const;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int status_ = 0;
  bool exited_ = false;
  TempDir output_;
};

// The port a running `accord` logged it serves `what` on ("serving <what> on
// http(s)://127.0.0.1:<port>", as with a listen address of port 0); 0 until
// then.
int ServedPort(const AccordProcess& process, const std::string& what);

// Runs `accord` to completion; returns exit code and output.
struct RunResult {
  int exit_code;
  std::string out;
  std::string err;
};
RunResult RunAccord(const std::vector<std::string>& args, const std::string& topic_prefix,
                    const std::map<std::string, std::string>& extra_env = {});

// Messages projection state directories have folded: each partition's
// stored offset, from the directory that folded it furthest (a partition
// that moved between instances is in both), summed. Read while projections
// may be writing; a directory that does not exist yet counts nothing.
int64_t FoldedOffsets(const std::vector<std::string>& dbs);
inline int64_t FoldedOffsets(const std::string& db) {
  return FoldedOffsets(std::vector<std::string>{db});
}

// Messages in the events and campaigns topics: the sum of their partitions'
// end offsets, which a caught-up projection's offsets add up to.
int64_t EndOffsets(const Topics& topics);

// Every event in the topic, partition by partition, read as a consumer with
// read_committed isolation (librdkafka's default) sees them.
std::vector<v1::Event> ReadTopic(const std::string& topic);
// The same, by partition.
std::map<int32_t, std::vector<v1::Event>> ReadPartitions(const std::string& topic);

// Polls `condition` until it holds; false when `timeout` passes first.
bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

// A contact as a CRM or marketing tool would send it.
v1::Event ContactEvent(const std::string& system, const std::string& record_id, uint64_t version,
                       int64_t occurred_at_ms, const std::string& email,
                       const std::string& last_name);
v1::Event EngagementEvent(const std::string& system, const std::string& record_id,
                          int64_t occurred_at_ms, const std::string& email,
                          const std::string& campaign_id);

// Publishes events to the events topic (campaign definitions to the
// campaigns topic) and waits for every acknowledgement.
void PublishEvents(const Topics& topics, const std::vector<v1::Event>& events);
void PublishRaw(const Topics& topics, const std::string& key, const std::string& value);

}  // namespace accord::testing
