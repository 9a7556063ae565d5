// Every HTTP listener Accord opens (the projection's and feedback's API, the
// webhook receiver, a sink's health port), run as the real processes on the
// real broker and attacked as a client on loopback would: slow clients, a
// flood, bodies of a gigabyte, cross-site requests, no credentials, TLS
// (docs/security.md).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "io/http/testing/raw_client.h"
#include "tests/integration/harness.h"

namespace accord::testing {
namespace {

using http::testing::RawClient;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

std::string Get(const std::string& target, const char* token = nullptr) {
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (token) request += "Authorization: Bearer " + std::string(token) + "\r\n";
  return request + "\r\n";
}

// A served port, waited for; fails the test when the process ends first.
int AwaitPort(AccordProcess& process, const std::string& what) {
  int port = 0;
  EXPECT_TRUE(
      WaitUntil([&] { return (port = ServedPort(process, what)) > 0 || !process.Running(); }, 60s))
      << process.Stderr();
  EXPECT_GT(port, 0) << process.Stderr();
  return port;
}

// A field of /proc/<pid>/status in KiB ("VmRSS", "VmHWM").
int64_t StatusKib(pid_t pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);)
    if (line.starts_with(field + ":")) return std::stoll(line.substr(field.size() + 1));
  return -1;
}

// One listener under test: where it is and a request that needs its
// credentials (or, where it has none, its metrics).
struct Listener {
  std::string name;
  int port;
  std::string authenticated_get;
};

// Answers `request` on a fresh connection within `limit`; returns the status.
int AnsweredWithin(int port, const std::string& request, std::chrono::milliseconds limit) {
  RawClient client(port);
  const auto asked = std::chrono::steady_clock::now();
  client.Send(request);
  const std::string answer = client.Receive(limit);
  EXPECT_LT(std::chrono::steady_clock::now() - asked, limit) << request;
  return RawClient::Status(answer);
}

class Listeners : public ::testing::Test {
 protected:
  void SetUp() override {
    topics_ = CreateTopics(::testing::UnitTest::GetInstance()->current_test_info()->name(), 2);
    PublishEvents(topics_, {ContactEvent("marketing", "M-1", 1, 1735689600000,
                                         "anna.schmidt@example-gmbh.de", "Schmidt")});
  }

  Topics topics_;
  TempDir dir_;
};

TEST_F(Listeners, SlowClientsAndAFloodLeaveProbesAndAuthenticatedReadsAnswered) {
  AccordProcess project({"project", "--db", dir_ / "state"}, topics_.prefix);
  AccordProcess feedback({"feedback", "--db", dir_ / "feedback"}, topics_.prefix);
  AccordProcess webhook({"webhook", "--listen", "127.0.0.1:0"}, topics_.prefix,
                        {{"ACCORD_WEBHOOK_SECRET", "listeners-test-secret"}});
  AccordProcess sink({"sink", "jsonl", "--path", dir_ / "feedback.jsonl", "--ledger",
                      dir_ / "ledger", "--http-listen", "127.0.0.1:0"},
                     topics_.prefix);
  std::vector<Listener> listeners = {
      {"projection API", AwaitPort(project, "the HTTP API"),
       Get("/v1/customers?email=anna.schmidt%40example-gmbh.de", kReadToken)},
      {"feedback API", AwaitPort(feedback, "the HTTP API"), Get("/v1/funnel", kAggregateToken)},
      {"webhook", AwaitPort(webhook, "webhooks"), Get("/metrics")},
      {"sink health", AwaitPort(sink, "sink health and metrics"), Get("/metrics")}};
  ASSERT_TRUE(WaitUntil(
      [&] {
        RawClient client(listeners[0].port);
        client.Send(listeners[0].authenticated_get);
        return RawClient::Status(client.Receive()) == 200;
      },
      60s))
      << "the projection never folded the contact: " << project.Stderr();

  for (const auto& listener : listeners) {
    SCOPED_TRACE(listener.name);
    // 50 clients that send a header line and then dawdle.
    std::vector<std::unique_ptr<RawClient>> slow;
    for (int i = 0; i < 50; ++i) {
      slow.push_back(std::make_unique<RawClient>(listener.port));
      slow.back()->Send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    }
    // 200 requests at once, none of whose answers is read yet.
    std::vector<std::unique_ptr<RawClient>> flood;
    for (int i = 0; i < 200; ++i) {
      flood.push_back(std::make_unique<RawClient>(listener.port));
      flood.back()->Send(listener.authenticated_get);
    }
    EXPECT_EQ(AnsweredWithin(listener.port, Get("/healthz"), 1s), 200);
    EXPECT_EQ(AnsweredWithin(listener.port, listener.authenticated_get, 1s), 200);
    for (auto& slow_client : slow) slow_client->Send("X-Still-There: 1\r\n");
    int answered = 0;
    for (auto& client : flood) answered += RawClient::Status(client->Receive(10s)) == 200;
    EXPECT_EQ(answered, 200);
  }
}

TEST_F(Listeners, AGigabyteChunkedBodyIsRefusedWithoutGrowingMemory) {
  AccordProcess project({"project", "--db", dir_ / "state"}, topics_.prefix);
  AccordProcess webhook({"webhook", "--listen", "127.0.0.1:0"}, topics_.prefix,
                        {{"ACCORD_WEBHOOK_SECRET", "listeners-test-secret"}});
  struct Target {
    std::string name;
    AccordProcess& process;
    int port;
    std::string head;
  };
  const std::string chunked =
      "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::vector<Target> targets = {
      {"webhook", webhook, AwaitPort(webhook, "webhooks"),
       "POST /v1/hooks/changes HTTP/1.1\r\nHost: 127.0.0.1\r\n" + chunked},
      {"snapshots", project, AwaitPort(project, "the HTTP API"),
       "POST /v1/snapshots HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
           std::string(kAdminToken) + "\r\n" + chunked}};
  const std::string chunk = "100000\r\n" + std::string(1 << 20, '[') + "\r\n";
  for (auto& target : targets) {
    const int64_t peak_before = StatusKib(target.process.pid(), "VmHWM");
    ASSERT_GT(peak_before, 0);
    RawClient client(target.port);
    client.Send(target.head);
    int64_t sent_mib = 0;
    while (sent_mib < 1024 && client.Send(chunk)) ++sent_mib;
    const std::string answer = client.Receive();
    EXPECT_LT(sent_mib, 1024) << "the whole gigabyte was taken";
    EXPECT_EQ(RawClient::Status(answer), 413) << answer;
    const int64_t growth = StatusKib(target.process.pid(), "VmHWM") - peak_before;
    EXPECT_LT(growth, 20 * 1024) << "peak RSS grew by " << growth << " KiB";
    RecordProperty(target.name + "_peak_rss_growth_kib", std::to_string(growth));
    RecordProperty(target.name + "_mib_sent_before_refusal", std::to_string(sent_mib));
  }
  // Without credentials a body is not even read: 300 MB declared, refused at
  // once.
  RawClient anonymous(targets[1].port);
  anonymous.Send(
      "POST /v1/snapshots HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Content-Length: 300000000\r\n\r\n");
  EXPECT_EQ(RawClient::Status(anonymous.Receive()), 401);
}

TEST_F(Listeners, SnapshotsAndPersonalDataResistCrossSiteRequests) {
  AccordProcess project({"project", "--db", dir_ / "state"}, topics_.prefix);
  const int port = AwaitPort(project, "the HTTP API");
  const std::string stolen = dir_ / "stolen";
  const std::string body = R"({"path":")" + stolen + R"("})";
  auto post = [&](const std::string& headers) {
    RawClient client(port);
    client.Send("POST /v1/snapshots HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers +
                "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    return RawClient::Status(client.Receive());
  };
  const std::string admin = "Authorization: Bearer " + std::string(kAdminToken) + "\r\n";
  // What a page can send without asking first: a simple text/plain POST.
  EXPECT_EQ(post("Content-Type: text/plain\r\n"), 401);
  EXPECT_EQ(post(admin + "Content-Type: text/plain\r\n"), 415);
  EXPECT_EQ(post(admin + "Origin: https://evil.example\r\nContent-Type: application/json\r\n"),
            403);
  EXPECT_EQ(post("Authorization: Bearer " + std::string(kReadToken) +
                 "\r\nContent-Type: application/json\r\n"),
            403);
  EXPECT_FALSE(std::filesystem::exists(stolen));
  // DNS rebinding: the attacker's name in Host.
  RawClient rebound(port);
  rebound.Send(
      "GET /v1/customers?email=anna.schmidt%40example-gmbh.de HTTP/1.1\r\nHost: "
      "attacker.example\r\nAuthorization: Bearer " +
      std::string(kReadToken) + "\r\n\r\n");
  EXPECT_EQ(RawClient::Status(rebound.Receive()), 421);

  // The operator's own request works, and what it writes only its owner reads.
  EXPECT_EQ(post(admin + "Content-Type: application/json\r\n"), 201);
  ASSERT_TRUE(std::filesystem::is_directory(stolen));
  struct stat info {};
  ASSERT_EQ(stat(stolen.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0077, 0u) << std::oct << info.st_mode;
}

TEST_F(Listeners, NoTokensIsAnExplicitChoiceAndOnlyOnLoopback) {
  const std::map<std::string, std::string> no_tokens = {{"ACCORD_HTTP_TOKENS", ""}};
  auto refused =
      RunAccord({"project", "--db", dir_ / "a", "--until-caught-up"}, topics_.prefix, no_tokens);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.err, HasSubstr("needs credentials"));
  EXPECT_THAT(refused.err, HasSubstr("--insecure-no-auth"));
  auto exposed = RunAccord({"project", "--db", dir_ / "b", "--until-caught-up", "--http-listen",
                            "0.0.0.0:0", "--insecure-no-auth"},
                           topics_.prefix, no_tokens);
  EXPECT_NE(exposed.exit_code, 0);
  EXPECT_THAT(exposed.err, HasSubstr("not a loopback address"));

  AccordProcess insecure({"project", "--db", dir_ / "c", "--insecure-no-auth"}, topics_.prefix,
                         no_tokens);
  const int port = AwaitPort(insecure, "the HTTP API");
  EXPECT_THAT(insecure.Stderr(), HasSubstr("INSECURE"));
  EXPECT_TRUE(WaitUntil(
      [&] {
        RawClient client(port);
        client.Send(Get("/v1/customers?email=anna.schmidt%40example-gmbh.de"));
        return RawClient::Status(client.Receive()) == 200;
      },
      60s));
}

TEST_F(Listeners, ServesTlsAndSnapshotsOverIt) {
  const std::string d = dir_ / "tls";
  std::filesystem::create_directories(d);
  const std::string make =
      "cd " + d +
      " && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 "
      "-subj /CN=accord-test-ca 2>/dev/null"
      " && openssl req -newkey rsa:2048 -nodes -keyout api.key -out api.csr -subj /CN=localhost "
      "2>/dev/null"
      " && printf 'subjectAltName=DNS:localhost,IP:127.0.0.1' > san.ext"
      " && openssl x509 -req -in api.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out api.pem "
      "-days 2 -extfile san.ext 2>/dev/null";
  ASSERT_EQ(std::system(make.c_str()), 0);
  AccordProcess project({"project", "--db", dir_ / "state"}, topics_.prefix,
                        {{"ACCORD_HTTP_TLS_CERT_FILE", d + "/api.pem"},
                         {"ACCORD_HTTP_TLS_KEY_FILE", d + "/api.key"}});
  const int port = AwaitPort(project, "the HTTP API");
  EXPECT_THAT(project.Stderr(), HasSubstr("on https://127.0.0.1:"));
  httplib::SSLClient client("127.0.0.1", port);
  client.set_ca_cert_path((d + "/ca.pem").c_str());
  client.enable_server_certificate_verification(true);
  client.set_bearer_token_auth(kReadToken);
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto found = client.Get("/v1/customers?email=anna.schmidt%40example-gmbh.de");
        return found && found->status == 200;
      },
      60s));
  auto snapshot = RunAccord({"snapshot", "create", dir_ / "snap", "--api",
                             "127.0.0.1:" + std::to_string(port), "--ca-file", d + "/ca.pem"},
                            topics_.prefix);
  EXPECT_EQ(snapshot.exit_code, 0) << snapshot.err;
  EXPECT_THAT(snapshot.out, HasSubstr("state hash"));
}

}  // namespace
}  // namespace accord::testing
