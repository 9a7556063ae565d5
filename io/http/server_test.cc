#include "io/http/server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <stdlib.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "io/config_error.h"
#include "io/http/testing/raw_client.h"
#include "io/metrics/metrics.h"

namespace accord::http {
namespace {

using ::testing::HasSubstr;
using testing::RawClient;
using namespace std::chrono_literals;

constexpr char kReadToken[] = "read-token-0123456789abcdef";
constexpr char kAdminToken[] = "admin-token-0123456789abcdef";

bool WaitFor(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

TEST(ParseListenAddress, AcceptsHostAndPort) {
  auto address = ParseListenAddress("127.0.0.1:8080");
  EXPECT_EQ(address.host, "127.0.0.1");
  EXPECT_EQ(address.port, 8080);
  address = ParseListenAddress("[::1]:9000");
  EXPECT_EQ(address.host, "::1");
  EXPECT_EQ(address.port, 9000);
  address = ParseListenAddress(":8080");
  EXPECT_EQ(address.host, "0.0.0.0");
  address = ParseListenAddress("localhost:0");
  EXPECT_EQ(address.host, "localhost");
  EXPECT_EQ(address.port, 0);
}

TEST(ParseListenAddress, RefusesWhatIsNotHostAndPort) {
  for (const char* bad : {"8080", "127.0.0.1", "127.0.0.1:", "127.0.0.1:http", "host:65536",
                          "host:-1", "::1:8080", "[::1:8080", "host:123456"}) {
    try {
      ParseListenAddress(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const ConfigError& e) {
      EXPECT_THAT(e.what(), HasSubstr(std::string("\"") + bad + "\"")) << bad;
    }
  }
}

TEST(CheckCredentials, NoTokensIsRefusedAndInsecureOnlyOnLoopback) {
  ServerOptions options;
  EXPECT_THROW(CheckCredentials(options, "127.0.0.1", "the API"), std::runtime_error);
  options.insecure_no_auth = true;
  EXPECT_NO_THROW(CheckCredentials(options, "127.0.0.1", "the API"));
  EXPECT_NO_THROW(CheckCredentials(options, "::1", "the API"));
  EXPECT_NO_THROW(CheckCredentials(options, "localhost", "the API"));
  for (const char* open : {"0.0.0.0", "::", "10.0.0.5"}) {
    try {
      CheckCredentials(options, open, "the API");
      ADD_FAILURE() << "insecure on " << open;
    } catch (const std::runtime_error& e) {
      EXPECT_THAT(e.what(), HasSubstr("not a loopback address"));
    }
  }
  options.insecure_no_auth = false;
  options.principals = {{"ops", Access::kAdmin, kAdminToken}};
  EXPECT_NO_THROW(CheckCredentials(options, "0.0.0.0", "the API"));
  auto refusal = [&] {
    try {
      CheckCredentials(options, "127.0.0.1", "the API");
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("served");
  };
  options.principals.push_back({"dashboard", Access::kAggregate, ""});
  EXPECT_THAT(refusal(), HasSubstr("ACCORD_HTTP_TOKEN_DASHBOARD"));
  options.principals.back().token = "short";
  EXPECT_THAT(refusal(), HasSubstr("shorter than 16"));
  options.principals.back().token = kAdminToken;
  EXPECT_THAT(refusal(), HasSubstr("the same token"));
}

// A server with an endpoint of each kind, small limits and a worker that a
// test can hold up.
class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.principals = {{"auditor", Access::kRead, kReadToken},
                           {"ops", Access::kAdmin, kAdminToken}};
    options_.limits.max_body_bytes = 1024;
    options_.limits.max_header_bytes = 2048;
    options_.limits.max_header_fields = 20;
    options_.limits.header_timeout_ms = 500;
    options_.limits.body_timeout_ms = 500;
    options_.limits.workers = 1;
    options_.access_log = (std::filesystem::temp_directory_path() /
                           ("accord-access-" + std::to_string(getpid()) + ".log"))
                              .string();
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove(options_.access_log);
  }

  void Start() {
    server_ = std::make_unique<Server>(
        "test", "the test server", options_, [this](const Request& head) { return Route(head); },
        registry_);
    server_->Start("127.0.0.1", 0, "pick another");
  }

  Endpoint Route(const Request& head) {
    if (head.path == "/healthz") return HealthEndpoint();
    Endpoint endpoint;
    if (head.path == "/people") {
      endpoint.access = Access::kRead;
      endpoint.personal = true;
      endpoint.answer = [](const Request& request) {
        return Response{200, "application/json", "{\"who\":\"" + request.principal + "\"}", {}};
      };
    } else if (head.path == "/echo") {
      endpoint.access = Access::kAdmin;
      endpoint.answer = [](const Request& request) {
        return Response{200, "text/plain", request.body, {}};
      };
    } else if (head.path == "/slow") {
      endpoint.answer = [this](const Request&) {
        std::unique_lock lock(mutex_);
        busy_ = true;
        changed_.notify_all();
        changed_.wait(lock, [this] { return released_; });
        return Response{200, "text/plain", "done", {}};
      };
    } else if (head.path == "/throws") {
      endpoint.answer = [](const Request&) -> Response { throw std::runtime_error("boom"); };
    }
    return endpoint;
  }

  httplib::Client Client() {
    httplib::Client client("127.0.0.1", server_->port());
    client.set_read_timeout(5, 0);
    return client;
  }

  uint64_t Refused(const std::string& reason) {
    return registry_
        .GetCounter("accord_http_refused_total", "", {{"listener", "test"}, {"reason", reason}})
        .value();
  }

  ServerOptions options_;
  metrics::Registry registry_;
  std::unique_ptr<Server> server_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool busy_ = false;
  bool released_ = false;
};

TEST_F(ServerTest, AnswersWithRolesAndLogsAccessToPersonalData) {
  Start();
  auto client = Client();
  auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, "{\"status\":\"ok\"}\n");

  auto anonymous = client.Get("/people");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  EXPECT_EQ(anonymous->get_header_value("WWW-Authenticate"), "Bearer");

  client.set_bearer_token_auth(kReadToken);
  auto people = client.Get("/people?x=1");
  ASSERT_TRUE(people);
  EXPECT_EQ(people->status, 200);
  EXPECT_EQ(people->body, "{\"who\":\"auditor\"}");
  EXPECT_EQ(people->get_header_value("Cache-Control"), "no-store");

  auto not_admin = client.Post("/echo", "{}", "application/json");
  ASSERT_TRUE(not_admin);
  EXPECT_EQ(not_admin->status, 403);

  client.set_bearer_token_auth(kAdminToken);
  auto echo = client.Post("/echo", "{\"a\":1}", "application/json");
  ASSERT_TRUE(echo);
  EXPECT_EQ(echo->status, 200);
  EXPECT_EQ(echo->body, "{\"a\":1}");

  auto failed = client.Get("/throws");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->status, 500);
  EXPECT_THAT(failed->body, HasSubstr("boom"));
  EXPECT_EQ(client.Get("/nothing")->status, 404);
  auto head = client.Head("/healthz");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());

  server_->Stop();
  std::ifstream log(options_.access_log);
  std::string first, second, extra;
  ASSERT_TRUE(std::getline(log, first));
  ASSERT_TRUE(std::getline(log, second));
  EXPECT_FALSE(std::getline(log, extra)) << extra;
  EXPECT_THAT(first, HasSubstr("\"principal\":null"));
  EXPECT_THAT(first, HasSubstr("\"status\":401"));
  EXPECT_THAT(second, HasSubstr("\"principal\":\"auditor\""));
  EXPECT_THAT(second, HasSubstr("\"target\":\"/people?x=1\""));
  EXPECT_THAT(second, HasSubstr("\"status\":200"));
  EXPECT_THAT(second, HasSubstr("\"remote\":\"127.0.0.1:"));
}

TEST_F(ServerTest, RefusesBrowserAttacks) {
  Start();
  auto client = Client();
  client.set_bearer_token_auth(kAdminToken);
  auto plain = client.Post("/echo", "{}", "text/plain");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 415);
  auto foreign =
      client.Post("/echo", {{"Origin", "https://evil.example"}}, "{}", "application/json");
  ASSERT_TRUE(foreign);
  EXPECT_EQ(foreign->status, 403);
  RawClient rebound(server_->port());
  rebound.Send("GET /people HTTP/1.1\r\nHost: attacker.example:8080\r\nAuthorization: Bearer " +
               std::string(kReadToken) + "\r\n\r\n");
  EXPECT_EQ(RawClient::Status(rebound.Receive()), 421);
  RawClient probe(server_->port());
  probe.Send("GET /healthz HTTP/1.1\r\nHost: pod-name:8080\r\n\r\n");
  EXPECT_EQ(RawClient::Status(probe.Receive()), 200) << "probes do not check Host";
}

TEST_F(ServerTest, RefusesOversizeBodiesBeforeReadingThem) {
  Start();
  const std::string auth = "Authorization: Bearer " + std::string(kAdminToken) + "\r\n";
  RawClient declared(server_->port());
  // Only the head is sent: the answer comes without waiting for the body.
  declared.Send("POST /echo HTTP/1.1\r\nHost: localhost\r\n" + auth +
                "Content-Type: application/json\r\nContent-Length: 300000000\r\n\r\n");
  const std::string answer = declared.Receive();
  EXPECT_EQ(RawClient::Status(answer), 413) << answer;
  EXPECT_TRUE(declared.ClosedByServer(2s));

  RawClient chunked(server_->port());
  chunked.Send("POST /echo HTTP/1.1\r\nHost: localhost\r\n" + auth +
               "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
  const std::string chunk = "400\r\n" + std::string(1024, 'x') + "\r\n";
  size_t sent = 0;
  while (sent < 64 * 1024 * 1024 && chunked.Send(chunk)) sent += 1024;
  EXPECT_LT(sent, 64u * 1024 * 1024) << "the server read a 64 MiB body it should have refused";
  const std::string refused = chunked.Receive();
  EXPECT_EQ(RawClient::Status(refused), 413) << refused;
  EXPECT_GE(Refused("body_too_large"), 2u);
}

TEST_F(ServerTest, RefusesOversizeHeaders) {
  Start();
  RawClient large(server_->port());
  large.Send("GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Pad: " + std::string(4096, 'a') +
             "\r\n\r\n");
  EXPECT_EQ(RawClient::Status(large.Receive()), 431);
  RawClient many(server_->port());
  std::string fields;
  for (int i = 0; i < 30; ++i) fields += "X-" + std::to_string(i) + ": 1\r\n";
  many.Send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n" + fields + "\r\n");
  EXPECT_EQ(RawClient::Status(many.Receive()), 431);
  RawClient garbage(server_->port());
  garbage.Send("NOT HTTP AT ALL\r\n\r\n");
  EXPECT_EQ(RawClient::Status(garbage.Receive()), 400);
  RawClient nul(server_->port());
  nul.Send("GET /people%00 HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_EQ(RawClient::Status(nul.Receive()), 400);
}

TEST_F(ServerTest, CutsOffSlowClientsAndKeepsAnsweringOthers) {
  Start();
  RawClient slow(server_->port());
  slow.Send("GET /healthz HTTP/1.1\r\n");
  slow.Send("Host: localhost\r\n");
  // Others are answered while it dawdles.
  auto client = Client();
  auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  // Its header deadline (500 ms) ends it, however much it still sends.
  const auto started = std::chrono::steady_clock::now();
  bool closed = false;
  while (!closed && std::chrono::steady_clock::now() - started < 3s) {
    slow.Send("X-More: 1\r\n");
    closed = slow.ClosedByServer(100ms);
  }
  EXPECT_TRUE(closed);
  EXPECT_TRUE(WaitFor([this] { return Refused("header_timeout") >= 1; }));

  RawClient slow_body(server_->port());
  slow_body.Send("POST /echo HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " +
                 std::string(kAdminToken) +
                 "\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{");
  EXPECT_TRUE(slow_body.ClosedByServer(3s));
  EXPECT_TRUE(WaitFor([this] { return Refused("body_timeout") == 1; }));
}

TEST_F(ServerTest, ProbesAreAnsweredWhileWorkersAreBusyAndConnectionsFull) {
  options_.limits.max_connections = 3;
  options_.limits.header_timeout_ms = 5000;
  Start();
  std::thread busy([this] { Client().Get("/slow"); });
  {
    std::unique_lock lock(mutex_);
    ASSERT_TRUE(changed_.wait_for(lock, 5s, [this] { return busy_; }));
  }
  // The only worker is held up; the probe is answered on the I/O thread.
  auto client = Client();
  const auto asked = std::chrono::steady_clock::now();
  auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 1s);

  // Fill the listener with idle connections: others get a clear 503, probes
  // still their answer.
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 3; ++i) idle.push_back(std::make_unique<RawClient>(server_->port()));
  ASSERT_TRUE(WaitFor([&] {
    return registry_.GetGauge("accord_http_connections", "", {{"listener", "test"}}).value() >= 4;
  }));
  RawClient refused(server_->port());
  refused.Send("GET /people HTTP/1.1\r\nHost: localhost\r\n\r\n");
  const std::string answer = refused.Receive();
  EXPECT_EQ(RawClient::Status(answer), 503);
  EXPECT_THAT(answer, HasSubstr("too many connections"));
  RawClient probe(server_->port());
  probe.Send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_EQ(RawClient::Status(probe.Receive()), 200);

  {
    std::lock_guard lock(mutex_);
    released_ = true;
  }
  changed_.notify_all();
  busy.join();
}

TEST_F(ServerTest, APortInUseFailsNamingTheAddress) {
  Start();
  Server second(
      "test", "the second server", options_, [](const Request&) { return Endpoint{}; }, registry_);
  try {
    second.Start("127.0.0.1", server_->port(), "pick another");
    FAIL() << "a second server bound port " << server_->port();
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("127.0.0.1:" + std::to_string(server_->port())));
    EXPECT_THAT(e.what(), HasSubstr("already in use"));
    EXPECT_THAT(e.what(), HasSubstr("pick another"));
  }
  EXPECT_EQ(Client().Get("/healthz")->status, 200);
}

TEST_F(ServerTest, StopRightAfterStartReturnsAndStopsServing) {
  for (int i = 0; i < 10; ++i) {
    Start();
    server_->Stop();
    server_->Stop();
  }
  Start();
  const int port = server_->port();
  server_->Stop();
  httplib::Client client("127.0.0.1", port);
  EXPECT_FALSE(client.Get("/healthz"));
}

// TLS with a certificate made here by openssl, checked by the client
// against the CA that signed it.
TEST_F(ServerTest, ServesTlsWithAGivenCertificate) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("accord-tls-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string d = dir.string();
  const std::string make =
      "cd " + d +
      " && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 "
      "-subj /CN=test-ca 2>/dev/null"
      " && openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr "
      "-subj /CN=localhost 2>/dev/null"
      " && printf 'subjectAltName=DNS:localhost,IP:127.0.0.1' > san.ext"
      " && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
      "-out server.pem -days 2 -extfile san.ext 2>/dev/null";
  ASSERT_EQ(std::system(make.c_str()), 0);
  options_.tls_cert_file = d + "/server.pem";
  options_.tls_key_file = d + "/server.key";
  Start();
  EXPECT_TRUE(server_->tls());
  httplib::SSLClient client("127.0.0.1", server_->port());
  client.set_ca_cert_path((d + "/ca.pem").c_str());
  client.enable_server_certificate_verification(true);
  client.set_bearer_token_auth(kReadToken);
  auto people = client.Get("/people");
  ASSERT_TRUE(people) << httplib::to_string(people.error());
  EXPECT_EQ(people->status, 200);
  // Plain HTTP on the TLS port gets nothing it can read.
  RawClient plain(server_->port());
  plain.Send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_EQ(RawClient::Status(plain.Receive(2s)), 0);
  server_.reset();

  options_.tls_key_file = d + "/missing.key";
  try {
    Start();
    FAIL() << "started without its key";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("private key"));
    EXPECT_THAT(e.what(), HasSubstr("missing.key"));
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace accord::http
