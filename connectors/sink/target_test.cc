#include "connectors/sink/target.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "connectors/signing/signature.h"
#include "connectors/sink/body.h"

namespace accord::connectors::sink {
namespace {

using ::testing::HasSubstr;

// A marketing endpoint on a free loopback port that answers each request
// with the next of `answers` (the last one repeats).
class Endpoint {
 public:
  struct Answer {
    int status;
    std::string body = "";
    std::string retry_after = "";
  };
  explicit Endpoint(std::vector<Answer> answers) : answers_(std::move(answers)) {
    server_.Post("/hooks/accord",
                 [this](const httplib::Request& request, httplib::Response& response) {
                   std::lock_guard lock(mutex_);
                   requests_.push_back(request);
                   const auto& answer = answers_[std::min(requests_.size(), answers_.size()) - 1];
                   response.status = answer.status;
                   response.set_content(answer.body, "text/plain");
                   if (!answer.retry_after.empty())
                     response.set_header("Retry-After", answer.retry_after);
                 });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
  }
  ~Endpoint() {
    server_.stop();
    thread_.join();
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hooks/accord"; }
  std::vector<httplib::Request> Requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  std::vector<Answer> answers_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<httplib::Request> requests_;
};

v1::Event Score() {
  v1::Event event;
  event.set_event_id("5f0c1d2e3a4b5c6d7e8f901a2b3c4d5e");
  event.set_source_system("accord");
  event.set_source_record_id("c0123456789abcdef01234567");
  event.set_customer_key("email:anna@corp.de");
  event.set_occurred_at_ms(1741944600000);
  event.mutable_score_updated()->set_score(62);
  return event;
}

HttpTargetOptions Options(const std::string& url) {
  HttpTargetOptions options;
  options.url = url;
  options.auth_header = "Authorization";
  options.auth_value = "Bearer t0ken";
  options.secret = "s3cret";
  options.retry = {.max_attempts = 4,
                   .initial_backoff = std::chrono::milliseconds(1),
                   .max_backoff = std::chrono::milliseconds(5)};
  return options;
}

TEST(HttpTarget, RetriesServerErrorsWithTheSameIdempotencyKeyAndSignsEachAttempt) {
  Endpoint endpoint({{503}, {500}, {200}});
  auto target = MakeHttpTarget(Options(endpoint.Url()));
  const auto event = Score();
  auto result = target->Deliver(event, FeedbackJson(event));
  EXPECT_TRUE(result.delivered) << result.reason;
  auto requests = endpoint.Requests();
  ASSERT_EQ(requests.size(), 3u);
  for (const auto& request : requests) {
    EXPECT_EQ(request.get_header_value("Idempotency-Key"), event.event_id());
    EXPECT_EQ(request.get_header_value("Authorization"), "Bearer t0ken");
    EXPECT_EQ(request.get_header_value("X-Accord-Origin"), "accord");
    auto verified = signing::Verify(
        "s3cret", "POST", "/hooks/accord", request.get_header_value(signing::kTimestampHeader),
        request.get_header_value(signing::kSignatureHeader), request.body,
        std::chrono::duration_cast<std::chrono::seconds>(
            std::chrono::system_clock::now().time_since_epoch())
            .count());
    EXPECT_EQ(verified.reason, "");
    auto body = nlohmann::json::parse(request.body);
    EXPECT_EQ(body["id"], event.event_id());
    EXPECT_EQ(body["type"], "score_updated");
    EXPECT_EQ(body["customer_id"], "c0123456789abcdef01234567");
    EXPECT_EQ(body["changeSource"], "accord");
    EXPECT_EQ(body["score_updated"]["score"], 62);
  }
}

TEST(HttpTarget, HonoursRetryAfter) {
  Endpoint endpoint({{429, "slow down", "1"}, {200}});
  auto target = MakeHttpTarget(Options(endpoint.Url()));
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(target->Deliver(Score(), FeedbackJson(Score())).delivered);
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
  EXPECT_EQ(endpoint.Requests().size(), 2u);
}

TEST(HttpTarget, AClientErrorIsGivenUpAtOnceWithTheAnswer) {
  Endpoint endpoint(std::vector<Endpoint::Answer>{{422, "unknown contact"}});
  auto target = MakeHttpTarget(Options(endpoint.Url()));
  auto result = target->Deliver(Score(), FeedbackJson(Score()));
  EXPECT_FALSE(result.delivered);
  EXPECT_EQ(result.reason_code, "sink_refused");
  EXPECT_THAT(result.reason, HasSubstr("HTTP 422: unknown contact"));
  EXPECT_EQ(endpoint.Requests().size(), 1u);
}

TEST(HttpTarget, GivesUpAfterTheLastAttempt) {
  Endpoint endpoint(std::vector<Endpoint::Answer>{{502, "bad gateway"}});
  auto target = MakeHttpTarget(Options(endpoint.Url()));
  auto result = target->Deliver(Score(), FeedbackJson(Score()));
  EXPECT_FALSE(result.delivered);
  EXPECT_EQ(result.reason_code, "sink_gave_up");
  EXPECT_THAT(result.reason, HasSubstr("gave up after 4 attempts; last: HTTP 502: bad gateway"));
  EXPECT_EQ(endpoint.Requests().size(), 4u);
}

TEST(HttpTarget, NoAnswerIsRetriedToo) {
  auto options = Options("http://127.0.0.1:1/hooks/accord");
  options.retry.max_attempts = 2;
  auto result = MakeHttpTarget(options)->Deliver(Score(), FeedbackJson(Score()));
  EXPECT_FALSE(result.delivered);
  EXPECT_THAT(result.reason, HasSubstr("gave up after 2 attempts; last: no answer"));
}

TEST(HttpTarget, AStopRequestEndsTheWaitForARetry) {
  Endpoint endpoint(std::vector<Endpoint::Answer>{{503}});
  auto options = Options(endpoint.Url());
  options.retry.initial_backoff = options.retry.max_backoff = std::chrono::milliseconds(60'000);
  std::atomic<bool> stop{true};
  auto target = MakeHttpTarget(options, &stop);
  EXPECT_THROW(target->Deliver(Score(), FeedbackJson(Score())), Stopped);
}

TEST(JsonlTarget, AppendsOneLinePerEvent) {
  const std::string path = ::testing::TempDir() + "/accord-sink-test.jsonl";
  std::remove(path.c_str());
  {
    auto file = MakeJsonlTarget(path);
    EXPECT_TRUE(file->Deliver(Score(), FeedbackJson(Score())).delivered);
    EXPECT_TRUE(file->Deliver(Score(), "{\"id\": \"second\"}").delivered);
    file->Sync();
  }
  // Appended to, never truncated, when opened again.
  MakeJsonlTarget(path)->Deliver(Score(), "{\"id\": \"third\"}");
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(nlohmann::json::parse(lines[0])["id"], Score().event_id());
  EXPECT_EQ(lines[2], "{\"id\": \"third\"}");
  std::remove(path.c_str());
  EXPECT_THROW(MakeJsonlTarget("/nonexistent-dir/x.jsonl"), std::runtime_error);
}

TEST(HttpTarget, OnlyHttpUrls) {
  EXPECT_THROW(MakeHttpTarget(Options("ftp://example.org/x")), std::invalid_argument);
  EXPECT_THROW(MakeHttpTarget(Options("example.org/x")), std::invalid_argument);
}

}  // namespace
}  // namespace accord::connectors::sink
