#include "app/config/config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "app/config/registry.h"

namespace accord::config {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = "/tmp/accord-config-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string Write(const std::string& name, const std::string& content) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << content;
    return path;
  }

  AppConfig LoadText(const std::string& yaml) { return Load(Write("accord.yaml", yaml), Env()); }

  // The ConfigError message of loading `yaml`; fails the test if it loads.
  std::string ErrorOf(const std::string& yaml) {
    try {
      LoadText(yaml);
    } catch (const ConfigError& e) {
      return e.what();
    }
    ADD_FAILURE() << "loaded without error:\n" << yaml;
    return "";
  }

  Environment Env() const { return env_; }

  std::string dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(ConfigTest, DefaultsWithoutFileOrEnvironment) {
  AppConfig config = Load("", Env());
  EXPECT_EQ(config.kafka.bootstrap_servers, "127.0.0.1:9092");
  EXPECT_EQ(config.kafka.topic_prefix, "accord");
  EXPECT_EQ(config.store.path, "var/state");
  EXPECT_EQ(config.project.batch_max_messages, 10000);
  EXPECT_EQ(config.log_level, "info");
}

TEST_F(ConfigTest, ReadsEveryKeyFromYaml) {
  AppConfig config = LoadText(R"(# Accord
log_level: debug
kafka:
  bootstrap_servers: "broker-1:9092,broker-2:9092"
  topic_prefix: staging
  connect_timeout_ms: 2500
  properties:
    security.protocol: SASL_SSL
    sasl.mechanism: PLAIN
store:
  path: /var/lib/accord
project:
  group_id: accord-staging
  instance_id: accord-1
  batch_max_messages: 100
  batch_max_ms: 50
  fold_threads: 3
  http_listen: "127.0.0.1:9191"
)");
  EXPECT_EQ(config.log_level, "debug");
  EXPECT_EQ(config.kafka.bootstrap_servers, "broker-1:9092,broker-2:9092");
  EXPECT_EQ(config.kafka.topic_prefix, "staging");
  EXPECT_EQ(config.kafka.connect_timeout_ms, 2500);
  EXPECT_EQ(config.kafka.properties.at("security.protocol"), "SASL_SSL");
  EXPECT_EQ(config.kafka.properties.at("sasl.mechanism"), "PLAIN");
  EXPECT_EQ(config.store.path, "/var/lib/accord");
  EXPECT_EQ(config.project.group_id, "accord-staging");
  EXPECT_EQ(config.project.batch_max_messages, 100);
  EXPECT_EQ(config.project.batch_max_ms, 50);
  EXPECT_EQ(config.project.instance_id, "accord-1");
  EXPECT_EQ(config.project.fold_threads, 3);
  EXPECT_EQ(config.project.http_listen, "127.0.0.1:9191");
}

// The example configuration the README points at loads as it is.
TEST_F(ConfigTest, TheShippedExampleLoads) {
  AppConfig config = Load(std::string(ACCORD_SOURCE_DIR) + "/deploy/local/accord.yaml", Env());
  EXPECT_EQ(config.kafka.bootstrap_servers, "127.0.0.1:9092");
  EXPECT_EQ(config.project.http_listen, "127.0.0.1:8080");
  EXPECT_EQ(config.webhook.listen, "127.0.0.1:8090");
}

TEST_F(ConfigTest, EmptyFileAndEmptySectionsKeepDefaults) {
  EXPECT_EQ(LoadText("").store.path, "var/state");
  EXPECT_EQ(LoadText("kafka:\nstore:\n").kafka.topic_prefix, "accord");
}

TEST_F(ConfigTest, UnknownKeysAreRefusedWithFileAndLine) {
  std::string path = dir_ + "/accord.yaml";
  std::string top = ErrorOf("log_level: info\nlogging: debug\n");
  EXPECT_NE(top.find(path + ":2:"), std::string::npos) << top;
  EXPECT_NE(top.find("logging"), std::string::npos) << top;

  std::string nested = ErrorOf("kafka:\n  topic_prefix: x\n  bootstrap: host:9092\n");
  EXPECT_NE(nested.find(path + ":3:"), std::string::npos) << nested;
  EXPECT_NE(nested.find("kafka.bootstrap"), std::string::npos) << nested;
}

TEST_F(ConfigTest, InlineSecretsAreRefused) {
  for (const char* property : {"sasl.password", "ssl.key.password"}) {
    std::string error =
        ErrorOf(std::string("kafka:\n  properties:\n    ") + property + ": hunter2\n");
    EXPECT_NE(error.find("accord.yaml:3:"), std::string::npos) << error;
    EXPECT_NE(error.find(property), std::string::npos) << error;
    EXPECT_NE(error.find("secret"), std::string::npos) << error;
    EXPECT_EQ(error.find("hunter2"), std::string::npos) << "the secret leaked: " << error;
  }
}

TEST_F(ConfigTest, SecretFromFile) {
  std::string secret = Write("sasl-password", "s3cr3t\n");
  AppConfig config = LoadText("kafka:\n  properties:\n    sasl.password_file: " + secret + "\n");
  EXPECT_EQ(config.kafka.properties.at("sasl.password"), "s3cr3t");
  EXPECT_EQ(config.kafka.properties.count("sasl.password_file"), 0u);

  std::string missing =
      ErrorOf("kafka:\n  properties:\n    sasl.password_file: " + dir_ + "/nope\n");
  EXPECT_NE(missing.find(dir_ + "/nope"), std::string::npos) << missing;
}

TEST_F(ConfigTest, EnvironmentOverridesTheFile) {
  env_ = {{"ACCORD_KAFKA_BOOTSTRAP_SERVERS", "env-broker:9092"},
          {"ACCORD_STORE_PATH", "/data/state"},
          {"ACCORD_PROJECT_BATCH_MAX_MESSAGES", "250"},
          {"ACCORD_LOG_LEVEL", "warn"}};
  AppConfig config = LoadText(
      "log_level: debug\nkafka:\n  bootstrap_servers: file-broker:9092\n  topic_prefix: "
      "fromfile\nproject:\n  batch_max_messages: 100\n");
  EXPECT_EQ(config.kafka.bootstrap_servers, "env-broker:9092");
  EXPECT_EQ(config.kafka.topic_prefix, "fromfile");
  EXPECT_EQ(config.store.path, "/data/state");
  EXPECT_EQ(config.project.batch_max_messages, 250);
  EXPECT_EQ(config.log_level, "warn");
}

TEST_F(ConfigTest, FieldRulesAreReadAndCheckedWithTheirLine) {
  AppConfig config = LoadText(
      "fold:\n  field_rules:\n    default: prefer crm\n    phone: only crm, erp\n"
      "    notes: ignore\n");
  EXPECT_EQ(config.fold.rules.default_rule, fold::ParseFieldRule("prefer crm"));
  EXPECT_EQ(config.fold.rules.For("phone"), fold::ParseFieldRule("only crm erp"));
  EXPECT_EQ(config.fold.rules.For("notes").kind, fold::FieldRule::Kind::kIgnore);
  EXPECT_EQ(config.fold.rules.For("city").kind, fold::FieldRule::Kind::kPrefer);
  std::string error = ErrorOf("fold:\n  field_rules:\n    phone: always crm\n");
  EXPECT_NE(error.find(":3: fold.field_rules.phone: unknown rule \"always\""), std::string::npos)
      << error;
}

TEST_F(ConfigTest, PropertyEnvironmentVariablesReachLibrdkafka) {
  env_ = {{"ACCORD_KAFKA_PROPERTY_SASL_PASSWORD", "geheim"},
          {"ACCORD_KAFKA_PROPERTY_SECURITY_PROTOCOL", "SASL_SSL"},
          {"ACCORD_KAFKA_PROPERTY_", "ignored"}};
  AppConfig config = LoadText("kafka:\n  properties:\n    security.protocol: PLAINTEXT\n");
  EXPECT_EQ(config.kafka.properties,
            (std::map<std::string, std::string>{{"sasl.password", "geheim"},
                                                {"security.protocol", "SASL_SSL"}}));
}

TEST_F(ConfigTest, BadIntegersAreRefused) {
  std::string word = ErrorOf("project:\n  batch_max_messages: many\n");
  EXPECT_NE(word.find("accord.yaml:2:"), std::string::npos) << word;
  EXPECT_NE(word.find("batch_max_messages"), std::string::npos) << word;
  EXPECT_NE(word.find("many"), std::string::npos) << word;

  for (const char* value : {"0", "-5", "12abc", "1.5", "99999999999999999999"})
    ErrorOf(std::string("kafka:\n  connect_timeout_ms: ") + value + "\n");

  env_ = {{"ACCORD_PROJECT_BATCH_MAX_MS", "soon"}};
  try {
    Load("", Env());
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("ACCORD_PROJECT_BATCH_MAX_MS"), std::string::npos)
        << e.what();
  }
}

TEST_F(ConfigTest, WrongShapesAndUnreadableFiles) {
  EXPECT_NE(ErrorOf("kafka:\n  bootstrap_servers: [a, b]\n").find("single value"),
            std::string::npos);
  EXPECT_NE(ErrorOf("kafka: localhost\n").find("mapping"), std::string::npos);
  EXPECT_NE(ErrorOf("- a\n- b\n").find("mapping"), std::string::npos);
  EXPECT_NE(ErrorOf("kafka:\n  topic_prefix: [unclosed\n").find("accord.yaml:"), std::string::npos);
  EXPECT_THROW(Load(dir_ + "/missing.yaml", Env()), ConfigError);
  env_ = {{"ACCORD_KAFKA_BOOTSTRAP_SERVERS", ""}};
  EXPECT_THROW(Load("", Env()), ConfigError);
}

TEST_F(ConfigTest, WebhookSection) {
  AppConfig defaults = Load("", Env());
  EXPECT_EQ(defaults.webhook.listen, "127.0.0.1:8090");
  EXPECT_EQ(defaults.webhook.source_system, "marketing");
  EXPECT_EQ(defaults.webhook.secret_env, "ACCORD_WEBHOOK_SECRET");
  EXPECT_EQ(defaults.webhook.max_body_bytes, 1048576);
  EXPECT_EQ(defaults.webhook.publish_timeout_ms, 10000);
  EXPECT_EQ(defaults.webhook.transactional_id, "");

  AppConfig config = LoadText(R"(webhook:
  listen: 0.0.0.0:9000
  source_system: crm
  secret_env: CRM_HOOK_SECRET
  max_body_bytes: 65536
  publish_timeout_ms: 3000
  transactional_id: accord-webhook-a
)");
  EXPECT_EQ(config.webhook.listen, "0.0.0.0:9000");
  EXPECT_EQ(config.webhook.source_system, "crm");
  EXPECT_EQ(config.webhook.secret_env, "CRM_HOOK_SECRET");
  EXPECT_EQ(config.webhook.max_body_bytes, 65536);
  EXPECT_EQ(config.webhook.publish_timeout_ms, 3000);
  EXPECT_EQ(config.webhook.transactional_id, "accord-webhook-a");

  env_ = {{"ACCORD_WEBHOOK_LISTEN", "127.0.0.1:0"},
          {"ACCORD_WEBHOOK_SOURCE_SYSTEM", "marketing"},
          {"ACCORD_WEBHOOK_SECRET_ENV", "HOOK_SECRET"},
          {"ACCORD_WEBHOOK_MAX_BODY_BYTES", "1000"},
          {"ACCORD_WEBHOOK_PUBLISH_TIMEOUT_MS", "250"},
          {"ACCORD_WEBHOOK_TRANSACTIONAL_ID", "accord-webhook-b"}};
  config = LoadText("webhook:\n  listen: 0.0.0.0:9000\n  source_system: crm\n");
  EXPECT_EQ(config.webhook.listen, "127.0.0.1:0");
  EXPECT_EQ(config.webhook.source_system, "marketing");
  EXPECT_EQ(config.webhook.secret_env, "HOOK_SECRET");
  EXPECT_EQ(config.webhook.max_body_bytes, 1000);
  EXPECT_EQ(config.webhook.publish_timeout_ms, 250);
  EXPECT_EQ(config.webhook.transactional_id, "accord-webhook-b");
}

TEST_F(ConfigTest, WebhookSecretAndBadValuesAreRefused) {
  std::string secret = ErrorOf("webhook:\n  secret: hunter2\n");
  EXPECT_NE(secret.find("accord.yaml:2:"), std::string::npos) << secret;
  EXPECT_NE(secret.find("secret_env"), std::string::npos) << secret;
  EXPECT_EQ(secret.find("hunter2"), std::string::npos) << "the secret leaked: " << secret;
  EXPECT_NE(ErrorOf("webhook:\n  max_body_bytes: 0\n").find("max_body_bytes"), std::string::npos);
  EXPECT_NE(ErrorOf("webhook:\n  publish_timeout_ms: soon\n").find("publish_timeout_ms"),
            std::string::npos);
  EXPECT_NE(ErrorOf("webhook:\n  port: 8090\n").find("webhook.port"), std::string::npos);
}

TEST_F(ConfigTest, FeedbackRules) {
  env_ = {{"ACCORD_FEEDBACK_HTTP_LISTEN", "127.0.0.1:9081"}};
  auto config = LoadText(R"(feedback:
  group_id: fb
  store_path: /srv/accord/feedback
  http_listen: 127.0.0.1:8181
  score:
    half_life_days: 14
    step: 3
    engagement: {opened: 1, webinar_attended: 20}
    negative: {unsubscribed: -30}
    lead_rejected: {default: -15, no_budget: -5}
    fit:
      - {field: job_title, contains: [Marketing, CMO], points: 15}
      - {field: country, in: [de, at], points: 5}
      - {field: employees, at_least: 50, below: 1000, points: 10}
  handover:
    min_score: 60
    min_fit: 15
    min_engagement: 20
    engagement_window_days: 21
  pause: {max_attempts: 4, window_days: 10, pause_days: 30}
  attribution: {touch_kinds: [clicked, form_submitted], window_days: 60, currency: CHF}
  reactivation:
    min_purchases: 3
    overdue_factor: 2.25
    complaint_days: 30
    recency_days: [10, 20, 30, 40]
    frequency: [3, 6, 9, 12]
    monetary_minor: [100, 200, 300, 400]
  tick_interval_s: 600
)");
  EXPECT_EQ(config.feedback.group_id, "fb");
  EXPECT_EQ(config.feedback.store_path, "/srv/accord/feedback");
  EXPECT_EQ(config.feedback.http_listen, "127.0.0.1:9081") << "the environment wins";
  const auto& rules = config.feedback.rules;
  EXPECT_EQ(rules.score.half_life_ms, 14LL * 86'400'000);
  EXPECT_EQ(rules.score.step, 3);
  EXPECT_EQ(rules.score.engagement,
            (std::map<v1::EngagementKind, int32_t>{{v1::ENGAGEMENT_KIND_OPENED, 1},
                                                   {v1::ENGAGEMENT_KIND_WEBINAR_ATTENDED, 20}}));
  EXPECT_EQ(rules.score.negative,
            (std::map<v1::EngagementKind, int32_t>{{v1::ENGAGEMENT_KIND_UNSUBSCRIBED, -30}}));
  EXPECT_EQ(rules.score.lead_rejected,
            (std::map<std::string, int32_t>{{"default", -15}, {"no_budget", -5}}));
  EXPECT_EQ(rules.score.fit[0].field, "job_title");
  EXPECT_EQ(rules.score.fit[0].match, feedback::FitRule::Match::kContains);
  EXPECT_EQ(rules.score.fit[0].values, (std::vector<std::string>{"marketing", "cmo"}));
  EXPECT_EQ(rules.score.fit[1].match, feedback::FitRule::Match::kIn);
  ASSERT_EQ(rules.score.fit.size(), 3u);
  EXPECT_EQ(rules.score.fit[2].match, feedback::FitRule::Match::kRange);
  EXPECT_EQ(rules.score.fit[2].at_least, 50);
  EXPECT_EQ(rules.score.fit[2].below, 1000);
  EXPECT_EQ(rules.handover.min_score, 60);
  EXPECT_EQ(rules.handover.engagement_window_ms, 21LL * 86'400'000);
  EXPECT_EQ(rules.pause.max_attempts, 4);
  EXPECT_EQ(rules.pause.window_ms, 10LL * 86'400'000);
  EXPECT_EQ(rules.pause.pause_ms, 30LL * 86'400'000);
  EXPECT_EQ(rules.attribution.touch_kinds,
            (std::set<v1::EngagementKind>{v1::ENGAGEMENT_KIND_CLICKED,
                                          v1::ENGAGEMENT_KIND_FORM_SUBMITTED}));
  EXPECT_EQ(rules.attribution.window_ms, 60LL * 86'400'000);
  EXPECT_EQ(rules.attribution.currency, "CHF");
  EXPECT_EQ(rules.reactivation.min_purchases, 3);
  EXPECT_EQ(rules.reactivation.overdue_permille, 2250);
  EXPECT_EQ(rules.reactivation.complaint_window_ms, 30LL * 86'400'000);
  EXPECT_EQ(rules.reactivation.recency_days, (std::vector<int64_t>{10, 20, 30, 40}));
  EXPECT_EQ(rules.reactivation.frequency, (std::vector<int64_t>{3, 6, 9, 12}));
  EXPECT_EQ(rules.reactivation.monetary_minor, (std::vector<int64_t>{100, 200, 300, 400}));
  EXPECT_EQ(config.feedback.tick_interval_ms, 600'000);
}

TEST_F(ConfigTest, InvalidFeedbackRulesAreRefusedWithLineAndReason) {
  auto refused = [&](const std::string& yaml, const std::string& reason) {
    std::string error = ErrorOf(yaml);
    EXPECT_NE(error.find(reason), std::string::npos) << error;
  };
  refused("feedback:\n  score:\n    engagement: {liked: 2}\n",
          "accord.yaml:3: feedback.score.engagement: unknown engagement kind \"liked\" (sent, "
          "opened,");
  refused("feedback:\n  score:\n    negative: {bounced: 5}\n",
          "feedback.score.negative.bounced must be between -1000 and 0, got 5");
  refused("feedback:\n  score:\n    engagement: {bounced: 1}\n",
          "bounced is in both engagement and negative");
  refused("feedback:\n  score:\n    half_life_days: 0\n", "half_life_days must be between 1");
  refused("feedback:\n  score:\n    fit:\n      - {field: shoe_size, in: [42], points: 1}\n",
          "accord.yaml:4: feedback.score.fit: unknown field \"shoe_size\" (job_title,");
  refused(
      "feedback:\n  score:\n    fit:\n      - {field: country, in: [de], contains: [d], "
      "points: 1}\n",
      "a rule has one of in, contains, or at_least/below");
  refused("feedback:\n  score:\n    fit:\n      - {field: employees, in: [50], points: 1}\n",
          "employees is a number: match it with at_least and/or below");
  refused("feedback:\n  score:\n    fit:\n      - {field: industry, at_least: 5, points: 1}\n",
          "industry is text: match it with in or contains");
  refused(
      "feedback:\n  score:\n    fit:\n      - {field: employees, at_least: 500, below: 50, "
      "points: 1}\n",
      "below must be more than at_least");
  refused("feedback:\n  score:\n    fit:\n      - {field: country, in: [de]}\n",
          "a rule needs field, in or contains (at_least or below for a number), and points");
  refused("feedback:\n  score:\n    fit:\n      - {field: country, in: [], points: 1}\n",
          "feedback.score.fit.in must be a non-empty list");
  refused("feedback:\n  score:\n    fit: {field: country}\n", "must be a list of rules");
  refused("feedback:\n  handover:\n    min_engagement: -1\n", "min_engagement");
  refused("feedback:\n  handover:\n    when: always\n", "unknown key feedback.handover.when");
  refused("feedback:\n  pause:\n    max_attempts: 0\n", "feedback.pause.max_attempts must be");
  refused("feedback:\n  attribution:\n    touch_kinds: [liked]\n",
          "accord.yaml:3: feedback.attribution.touch_kinds: unknown engagement kind \"liked\"");
  refused("feedback:\n  attribution:\n    touch_kinds: []\n", "must be a non-empty list");
  refused("feedback:\n  attribution:\n    currency: euro\n",
          "feedback.attribution.currency must be an ISO 4217 code such as EUR, got \"euro\"");
  refused("feedback:\n  reactivation:\n    overdue_factor: 0.5\n",
          "feedback.reactivation.overdue_factor must be between 1 and 100, got 0.5");
  refused("feedback:\n  reactivation:\n    overdue_factor: often\n", "must be a number");
  refused("feedback:\n  reactivation:\n    min_purchases: 1\n",
          "feedback.reactivation.min_purchases must be between 2");
  refused("feedback:\n  reactivation:\n    recency_days: [30, 20, 90, 180]\n",
          "accord.yaml:3: feedback.reactivation.recency_days must be a list of four ascending");
  refused("feedback:\n  reactivation:\n    frequency: [1, 2]\n", "four ascending whole numbers");
  refused("feedback:\n  tick_interval_s: -1\n", "feedback.tick_interval_s must be between 0");
}

TEST_F(ConfigTest, SinkSection) {
  env_ = {{"ACCORD_SINK_JSONL_PATH", "/srv/feedback.jsonl"}};
  auto sink = LoadText(R"(sink:
  http:
    url: https://marketing.example/hooks/accord
    auth_header: X-Api-Key
    auth_env: MARKETING_KEY
    max_in_flight: 8
    max_attempts: 12
    initial_backoff_ms: 100
    max_backoff_ms: 60000
    timeout_ms: 5000
)")
                  .sink;
  EXPECT_EQ(sink.http_url, "https://marketing.example/hooks/accord");
  EXPECT_EQ(sink.http_auth_header, "X-Api-Key");
  EXPECT_EQ(sink.http_auth_env, "MARKETING_KEY");
  EXPECT_EQ(sink.http_max_in_flight, 8);
  EXPECT_EQ(sink.http_max_attempts, 12);
  EXPECT_EQ(sink.http_initial_backoff_ms, 100);
  EXPECT_EQ(sink.http_max_backoff_ms, 60000);
  EXPECT_EQ(sink.http_timeout_ms, 5000);
  EXPECT_EQ(sink.jsonl_path, "/srv/feedback.jsonl");

  std::string secret = ErrorOf("sink:\n  http:\n    token: hunter2\n");
  EXPECT_NE(secret.find("accord.yaml:3: sink.http.token is a secret"), std::string::npos) << secret;
  EXPECT_EQ(secret.find("hunter2"), std::string::npos) << secret;
  EXPECT_NE(ErrorOf("sink:\n  http:\n    max_in_flight: 0\n").find("max_in_flight"),
            std::string::npos);
  EXPECT_NE(ErrorOf("sink:\n  kafka: {}\n").find("unknown key sink.kafka"), std::string::npos);
}

TEST_F(ConfigTest, RangesAreRefusedInTheFileAndTheEnvironment) {
  std::string file = ErrorOf("sink:\n  http:\n    max_attempts: 1001\n");
  EXPECT_NE(file.find("accord.yaml:3: sink.http.max_attempts must be between 1 and 1000, got 1001"),
            std::string::npos)
      << file;
  env_ = {{"ACCORD_SINK_HTTP_MAX_ATTEMPTS", "0"}};
  std::string environment = ErrorOf("");
  EXPECT_NE(environment.find("environment ACCORD_SINK_HTTP_MAX_ATTEMPTS: sink.http.max_attempts "
                             "must be between 1 and 1000, got 0"),
            std::string::npos)
      << environment;
}

TEST_F(ConfigTest, UnknownKeysInEverySectionAreRefused) {
  std::string error = ErrorOf("feedback:\n  score:\n    step: 3\n    steps: 4\n");
  EXPECT_NE(error.find("accord.yaml:4: unknown key feedback.score.steps"), std::string::npos)
      << error;
  EXPECT_NE(ErrorOf("log_level: loud\n").find("log_level must be one of"), std::string::npos);
  EXPECT_NE(ErrorOf("project:\n  fold_threads:\n    many: 2\n").find("single value"),
            std::string::npos);
}

// A value for each key, given in its environment variable, and how the key
// then shows it: every key is overridable, and a new key needs a line here.
struct Sample {
  std::string value;
  std::string shown;
  std::string variable = "";  // for key families: one member of the family
};

const std::map<std::string, Sample>& Samples() {
  static const std::map<std::string, Sample> samples = {
      {"log_level", {"debug", "debug"}},
      {"kafka.bootstrap_servers", {"b1:9092,b2:9092", "b1:9092,b2:9092"}},
      {"kafka.topic_prefix", {"staging", "staging"}},
      {"kafka.connect_timeout_ms", {"2500", "2500"}},
      {"kafka.properties",
       {"accord-test", "client.id: accord-test", "ACCORD_KAFKA_PROPERTY_CLIENT_ID"}},
      {"store.path", {"/data/state", "/data/state"}},
      {"project.group_id", {"group", "group"}},
      {"project.instance_id", {"accord-1", "accord-1"}},
      {"project.http_listen", {"127.0.0.1:9191", "127.0.0.1:9191"}},
      {"project.batch_max_messages", {"100", "100"}},
      {"project.batch_max_ms", {"50", "50"}},
      {"project.fold_threads", {"3", "3"}},
      {"fold.field_rules",
       {"{default: prefer crm, phone: only crm erp}", "default: prefer crm, phone: only crm erp"}},
      {"feedback.group_id", {"fb", "fb"}},
      {"feedback.store_path", {"/srv/feedback", "/srv/feedback"}},
      {"feedback.http_listen", {"127.0.0.1:9081", "127.0.0.1:9081"}},
      {"feedback.tick_interval_s", {"600", "600"}},
      {"feedback.score.half_life_days", {"14", "14"}},
      {"feedback.score.step", {"3", "3"}},
      {"feedback.score.engagement", {"{opened: 2, clicked: 4}", "opened: 2, clicked: 4"}},
      {"feedback.score.negative", {"{bounced: -5}", "bounced: -5"}},
      {"feedback.score.lead_rejected", {"{no_budget: -5}", "no_budget: -5"}},
      {"feedback.score.fit",
       {"[{field: country, in: [DE, at], points: 5}, {field: employees, at_least: 50, points: 3}]",
        "country in de|at: 5; employees at_least 50: 3"}},
      {"feedback.handover.min_score", {"60", "60"}},
      {"feedback.handover.min_fit", {"15", "15"}},
      {"feedback.handover.min_engagement", {"20", "20"}},
      {"feedback.handover.engagement_window_days", {"21", "21"}},
      {"feedback.pause.max_attempts", {"4", "4"}},
      {"feedback.pause.window_days", {"10", "10"}},
      {"feedback.pause.pause_days", {"30", "30"}},
      {"feedback.attribution.touch_kinds", {"clicked, opened", "opened, clicked"}},
      {"feedback.attribution.window_days", {"60", "60"}},
      {"feedback.attribution.currency", {"CHF", "CHF"}},
      {"feedback.reactivation.min_purchases", {"3", "3"}},
      {"feedback.reactivation.overdue_factor", {"2.25", "2.25"}},
      {"feedback.reactivation.complaint_days", {"30", "30"}},
      {"feedback.reactivation.recency_days", {"10,20,30,40", "10, 20, 30, 40"}},
      {"feedback.reactivation.frequency", {"3,6,9,12", "3, 6, 9, 12"}},
      {"feedback.reactivation.monetary_minor", {"100,200,300,400", "100, 200, 300, 400"}},
      {"webhook.listen", {"127.0.0.1:0", "127.0.0.1:0"}},
      {"webhook.source_system", {"crm", "crm"}},
      {"webhook.secret_env", {"HOOK_SECRET", "HOOK_SECRET"}},
      {"webhook.previous_secret_env", {"OLD_HOOK_SECRET", "OLD_HOOK_SECRET"}},
      {"webhook.max_body_bytes", {"1000", "1000"}},
      {"webhook.publish_timeout_ms", {"250", "250"}},
      {"webhook.transactional_id", {"accord-webhook-b", "accord-webhook-b"}},
      {"sink.http.url", {"https://marketing.example/hooks", "https://marketing.example/hooks"}},
      {"sink.http.auth_header", {"X-Api-Key", "X-Api-Key"}},
      {"sink.http.auth_env", {"MARKETING_KEY", "MARKETING_KEY"}},
      {"sink.http.secret_env", {"MARKETING_SIGNING_KEY", "MARKETING_SIGNING_KEY"}},
      {"sink.http.max_in_flight", {"8", "8"}},
      {"sink.http.max_attempts", {"12", "12"}},
      {"sink.http.initial_backoff_ms", {"100", "100"}},
      {"sink.http.max_backoff_ms", {"60000", "60000"}},
      {"sink.http.timeout_ms", {"5000", "5000"}},
      {"sink.chat.url_env", {"TEAM_CHAT_URL", "TEAM_CHAT_URL"}},
      {"sink.jsonl.path", {"/srv/feedback.jsonl", "/srv/feedback.jsonl"}},
      {"http.max_header_bytes", {"2048", "2048"}},
      {"http.max_header_fields", {"50", "50"}},
      {"http.max_body_bytes", {"2048", "2048"}},
      {"http.header_timeout_ms", {"3000", "3000"}},
      {"http.body_timeout_ms", {"4000", "4000"}},
      {"http.write_timeout_ms", {"5000", "5000"}},
      {"http.max_connections", {"64", "64"}},
      {"http.workers", {"2", "2"}},
      {"http.tls_cert_file", {"/etc/accord/api.pem", "/etc/accord/api.pem"}},
      {"http.tls_key_file", {"/etc/accord/api.key", "/etc/accord/api.key"}},
      {"http.allowed_hosts", {"a.internal, b.internal", "a.internal, b.internal"}},
      {"http.allowed_origins", {"https://ops.internal", "https://ops.internal"}},
      {"http.tokens", {"ops:admin,audit-team:read", "ops: admin, audit-team: read"}},
      {"http.metrics_access", {"read", "read"}},
      {"http.access_log", {"/var/log/accord/access.log", "/var/log/accord/access.log"}},
  };
  return samples;
}

TEST_F(ConfigTest, EveryKeyIsOverriddenByItsEnvironmentVariable) {
  const AppConfig defaults;
  for (const auto& key : Keys()) {
    SCOPED_TRACE(key.name);
    auto sample = Samples().find(key.name);
    ASSERT_NE(sample, Samples().end()) << "no sample for this key in Samples()";
    const std::string variable =
        sample->second.variable.empty() ? key.variable : sample->second.variable;
    env_ = {{variable, sample->second.value}};
    EXPECT_NE(key.show(defaults), sample->second.shown)
        << "the sample must differ from the default";
    EXPECT_EQ(key.show(Load("", Env())), sample->second.shown);
  }
  EXPECT_EQ(Samples().size(), Keys().size()) << "a sample names a key that is not registered";
}

TEST_F(ConfigTest, VariablesFollowTheKeysNames) {
  std::set<std::string> variables;
  for (const auto& key : Keys()) {
    EXPECT_TRUE(variables.insert(key.variable).second) << key.variable << " is used twice";
    if (key.name == "kafka.properties") continue;
    std::string expected = "ACCORD_";
    for (char c : key.name) expected += c == '.' ? '_' : static_cast<char>(std::toupper(c));
    EXPECT_EQ(key.variable, expected);
  }
  // Deployments, scripts and docs set these: they keep working.
  for (const char* variable : {"ACCORD_LOG_LEVEL",
                               "ACCORD_KAFKA_BOOTSTRAP_SERVERS",
                               "ACCORD_KAFKA_TOPIC_PREFIX",
                               "ACCORD_KAFKA_CONNECT_TIMEOUT_MS",
                               "ACCORD_KAFKA_PROPERTY_<NAME>",
                               "ACCORD_STORE_PATH",
                               "ACCORD_PROJECT_GROUP_ID",
                               "ACCORD_PROJECT_INSTANCE_ID",
                               "ACCORD_PROJECT_HTTP_LISTEN",
                               "ACCORD_PROJECT_BATCH_MAX_MESSAGES",
                               "ACCORD_PROJECT_BATCH_MAX_MS",
                               "ACCORD_PROJECT_FOLD_THREADS",
                               "ACCORD_FEEDBACK_GROUP_ID",
                               "ACCORD_FEEDBACK_STORE_PATH",
                               "ACCORD_FEEDBACK_HTTP_LISTEN",
                               "ACCORD_FEEDBACK_TICK_INTERVAL_S",
                               "ACCORD_SINK_HTTP_URL",
                               "ACCORD_SINK_JSONL_PATH",
                               "ACCORD_WEBHOOK_LISTEN",
                               "ACCORD_WEBHOOK_SOURCE_SYSTEM",
                               "ACCORD_WEBHOOK_SECRET_ENV",
                               "ACCORD_WEBHOOK_PREVIOUS_SECRET_ENV",
                               "ACCORD_WEBHOOK_MAX_BODY_BYTES",
                               "ACCORD_WEBHOOK_PUBLISH_TIMEOUT_MS",
                               "ACCORD_WEBHOOK_TRANSACTIONAL_ID",
                               "ACCORD_HTTP_MAX_BODY_BYTES",
                               "ACCORD_HTTP_MAX_HEADER_BYTES",
                               "ACCORD_HTTP_MAX_HEADER_FIELDS",
                               "ACCORD_HTTP_HEADER_TIMEOUT_MS",
                               "ACCORD_HTTP_BODY_TIMEOUT_MS",
                               "ACCORD_HTTP_WRITE_TIMEOUT_MS",
                               "ACCORD_HTTP_MAX_CONNECTIONS",
                               "ACCORD_HTTP_WORKERS",
                               "ACCORD_HTTP_TLS_CERT_FILE",
                               "ACCORD_HTTP_TLS_KEY_FILE",
                               "ACCORD_HTTP_ACCESS_LOG",
                               "ACCORD_HTTP_ALLOWED_HOSTS",
                               "ACCORD_HTTP_ALLOWED_ORIGINS",
                               "ACCORD_HTTP_METRICS_ACCESS",
                               "ACCORD_HTTP_TOKENS"})
    EXPECT_EQ(variables.count(variable), 1u) << variable;
}

TEST_F(ConfigTest, StructuredValuesFromTheEnvironmentAreCheckedLikeTheFiles) {
  env_ = {{"ACCORD_FEEDBACK_SCORE_ENGAGEMENT", "{liked: 2}"}};
  std::string kind = ErrorOf("");
  EXPECT_NE(kind.find("environment ACCORD_FEEDBACK_SCORE_ENGAGEMENT: feedback.score.engagement: "
                      "unknown engagement kind \"liked\""),
            std::string::npos)
      << kind;
  env_ = {{"ACCORD_FOLD_FIELD_RULES", "{phone: [unclosed"}};
  EXPECT_NE(ErrorOf("").find("environment ACCORD_FOLD_FIELD_RULES: "), std::string::npos);
  env_ = {{"ACCORD_FEEDBACK_SCORE_NEGATIVE", "{opened: -1}"}};
  EXPECT_NE(ErrorOf("").find("opened is in both engagement and negative"), std::string::npos);
}

// docs/configuration.md shows the table `accord config reference` prints.
TEST(ConfigReferenceTest, TheDocumentedTableIsTheRegistrys) {
  std::ifstream in(std::string(ACCORD_SOURCE_DIR) + "/docs/configuration.md");
  ASSERT_TRUE(in);
  std::stringstream content;
  content << in.rdbuf();
  const std::string doc = content.str();
  const std::string begin = "<!-- BEGIN accord config reference -->\n";
  const std::string end = "<!-- END accord config reference -->";
  const auto from = doc.find(begin);
  const auto to = doc.find(end);
  ASSERT_NE(from, std::string::npos) << begin;
  ASSERT_NE(to, std::string::npos) << end;
  EXPECT_EQ(doc.substr(from + begin.size(), to - from - begin.size()), ReferenceTable())
      << "docs/configuration.md's key table is not the registry's: put the output of `accord "
         "config reference` between the markers";
}

}  // namespace
}  // namespace accord::config

namespace accord::config {
namespace {

class HttpConfigTest : public ConfigTest {};

TEST_F(HttpConfigTest, ReadsLimitsTlsHostsAndRolesWithTokensFromTheEnvironment) {
  env_["ACCORD_HTTP_TOKEN_OPS"] = "ops-token-0123456789";
  Write("auditor.token", "auditor-token-0123456789\n");
  env_["ACCORD_HTTP_TOKEN_AUDIT_TEAM_FILE"] = dir_ + "/auditor.token";
  env_["ACCORD_HTTP_TOKENS"] = "dashboard:aggregate";
  env_["ACCORD_HTTP_TOKEN_DASHBOARD"] = "dashboard-token-0123456789";
  env_["ACCORD_HTTP_MAX_CONNECTIONS"] = "64";
  auto config = LoadText(R"(
http:
  max_body_bytes: 2048
  header_timeout_ms: 3000
  tls_cert_file: /etc/accord/api.pem
  tls_key_file: /etc/accord/api.key
  allowed_hosts: [accord.internal]
  allowed_origins: ["https://ops.internal"]
  metrics_access: aggregate
  access_log: /var/log/accord/access.log
  tokens:
    ops: admin
    audit-team: read
)");
  const auto& http = config.http;
  EXPECT_EQ(http.limits.max_body_bytes, 2048u);
  EXPECT_EQ(http.limits.header_timeout_ms, 3000);
  EXPECT_EQ(http.limits.max_connections, 64);
  EXPECT_EQ(http.tls_cert_file, "/etc/accord/api.pem");
  EXPECT_EQ(http.allowed_hosts, std::vector<std::string>{"accord.internal"});
  EXPECT_EQ(http.allowed_origins, std::vector<std::string>{"https://ops.internal"});
  EXPECT_EQ(http.metrics_access, http::Access::kAggregate);
  EXPECT_EQ(http.access_log, "/var/log/accord/access.log");
  ASSERT_EQ(http.principals.size(), 3u);
  EXPECT_EQ(http.principals[0].name, "ops");
  EXPECT_EQ(http.principals[0].role, http::Access::kAdmin);
  EXPECT_EQ(http.principals[0].token, "ops-token-0123456789");
  EXPECT_EQ(http.principals[1].name, "audit-team");
  EXPECT_EQ(http.principals[1].token, "auditor-token-0123456789");
  EXPECT_EQ(http.principals[2].name, "dashboard");
  EXPECT_EQ(http.principals[2].role, http::Access::kAggregate);
}

TEST_F(HttpConfigTest, TokensNeverComeFromTheFileAndRolesAreChecked) {
  EXPECT_NE(ErrorOf("http:\n  token: abc\n").find("secrets"), std::string::npos);
  EXPECT_NE(ErrorOf("http:\n  tokens:\n    ops: root\n").find("not a role"), std::string::npos);
  EXPECT_NE(ErrorOf("http:\n  tokens:\n    ops: open\n").find("aggregate, read or admin"),
            std::string::npos);
  EXPECT_NE(ErrorOf("http:\n  tokens:\n    Ops: admin\n").find("a-z"), std::string::npos);
  EXPECT_NE(ErrorOf("http:\n  max_connections: 0\n").find("max_connections"), std::string::npos);
  env_["ACCORD_HTTP_MAX_HEADER_BYTES"] = "99999999";
  EXPECT_NE(ErrorOf("").find("ACCORD_HTTP_MAX_HEADER_BYTES"), std::string::npos);
}

TEST_F(HttpConfigTest, AMissingTokenLoadsForCommandsThatServeNothing) {
  // accord import with the servers' configuration: the token is the
  // servers' business (http::CheckCredentials refuses to serve without it).
  auto config = LoadText("http:\n  tokens:\n    ops: admin\n");
  ASSERT_EQ(config.http.principals.size(), 1u);
  EXPECT_TRUE(config.http.principals[0].token.empty());
  EXPECT_EQ(http::TokenVariable("audit-team"), "ACCORD_HTTP_TOKEN_AUDIT_TEAM");
}

}  // namespace
}  // namespace accord::config
