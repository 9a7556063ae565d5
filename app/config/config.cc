#include "app/config/config.h"

#include <yaml-cpp/yaml.h>

#include <unistd.h>
#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <functional>
#include <sstream>

#include "domain/events/envelope.h"

namespace accord::config {
namespace {

// librdkafka properties that hold secrets: never accepted inline in the file.
constexpr std::array<std::string_view, 5> kSecretProperties = {
    "sasl.password", "ssl.key.password", "ssl.keystore.password", "sasl.oauthbearer.client.secret",
    "ssl.key.pem"};

bool IsSecret(std::string_view property) {
  return std::find(kSecretProperties.begin(), kSecretProperties.end(), property) !=
         kSecretProperties.end();
}

std::string Where(const std::string& path, const YAML::Node& node) {
  return path + ":" + std::to_string(node.Mark().line + 1);
}

std::string ReadSecretFile(const std::string& file, const std::string& key) {
  std::ifstream in(file);
  if (!in) throw ConfigError(key + "_file: cannot read " + file);
  std::stringstream content;
  content << in.rdbuf();
  std::string value = content.str();
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
  return value;
}

int ParseInt(const std::string& text, const std::string& where, const std::string& key, int min,
             int max = 1'000'000'000) {
  try {
    size_t used = 0;
    long long value = std::stoll(text, &used);
    if (used != text.size()) throw std::invalid_argument(text);
    if (value < min || value > max)
      throw ConfigError(where + ": " + key + " must be between " + std::to_string(min) + " and " +
                        std::to_string(max) + ", got " + text);
    return static_cast<int>(value);
  } catch (const std::logic_error&) {
    throw ConfigError(where + ": " + key + " must be a whole number, got \"" + text + "\"");
  }
}

http::Access AccessNamed(const std::string& text, const std::string& where) {
  auto access = http::ParseAccess(text);
  if (!access)
    throw ConfigError(where + ": \"" + text + "\" is not a role (open, aggregate, read, admin)");
  return *access;
}

void AddPrincipal(http::ServerOptions& http, const std::string& name, const std::string& role,
                  const std::string& where) {
  const bool good_name =
      !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      });
  if (!good_name) throw ConfigError(where + ": a principal's name is 1 to 64 of a-z, 0-9, - and _");
  auto access = AccessNamed(role, where);
  if (access == http::Access::kOpen)
    throw ConfigError(where + ": a token's role is aggregate, read or admin");
  for (auto& principal : http.principals)
    if (principal.name == name) {
      principal.role = access;
      return;
    }
  http.principals.push_back({name, access, ""});
}

class FileReader {
 public:
  FileReader(AppConfig& config, std::string path) : config_(config), path_(std::move(path)) {}

  void Read() {
    YAML::Node root;
    try {
      root = YAML::LoadFile(path_);
    } catch (const YAML::BadFile&) {
      throw ConfigError(path_ + ": cannot read the configuration file");
    } catch (const YAML::Exception& e) {
      throw ConfigError(path_ + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
    }
    if (root.IsNull()) return;
    if (!root.IsMap()) throw ConfigError(Where(path_, root) + ": expected a mapping at top level");
    // yaml-cpp's conversions throw its own exceptions (a mapping or sequence
    // used as a key cannot be read as a string): report them as config errors.
    try {
      ReadSections(root);
    } catch (const YAML::Exception& e) {
      throw ConfigError(path_ + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
    }
  }

 private:
  void ReadSections(const YAML::Node& root) {
    for (const auto& section : root) {
      const std::string name = section.first.as<std::string>();
      const YAML::Node& body = section.second;
      if (name == "log_level") {
        config_.log_level = Scalar(body, name);
      } else if (name == "kafka") {
        ForEach(body, name, [&](const std::string& key, const YAML::Node& value) {
          if (key == "bootstrap_servers")
            config_.kafka.bootstrap_servers = Scalar(value, key);
          else if (key == "topic_prefix")
            config_.kafka.topic_prefix = Scalar(value, key);
          else if (key == "connect_timeout_ms")
            config_.kafka.connect_timeout_ms =
                ParseInt(Scalar(value, key), Where(path_, value), key, 1);
          else if (key == "properties")
            ReadProperties(value);
          else
            Unknown(value, name + "." + key);
        });
      } else if (name == "store") {
        ForEach(body, name, [&](const std::string& key, const YAML::Node& value) {
          if (key == "path")
            config_.store.path = Scalar(value, key);
          else
            Unknown(value, name + "." + key);
        });
      } else if (name == "fold") {
        ForEach(body, name, [&](const std::string& key, const YAML::Node& value) {
          if (key == "field_rules")
            ReadFieldRules(value);
          else
            Unknown(value, name + "." + key);
        });
      } else if (name == "project") {
        ForEach(body, name, [&](const std::string& key, const YAML::Node& value) {
          if (key == "group_id")
            config_.project.group_id = Scalar(value, key);
          else if (key == "instance_id")
            config_.project.instance_id = Scalar(value, key);
          else if (key == "batch_max_messages")
            config_.project.batch_max_messages =
                ParseInt(Scalar(value, key), Where(path_, value), key, 1);
          else if (key == "batch_max_ms")
            config_.project.batch_max_ms =
                ParseInt(Scalar(value, key), Where(path_, value), key, 1);
          else if (key == "fold_threads")
            config_.project.fold_threads =
                ParseInt(Scalar(value, key), Where(path_, value), key, 1);
          else if (key == "http_listen")
            config_.project.http_listen = Scalar(value, key);
          else
            Unknown(value, name + "." + key);
        });
      } else if (name == "feedback") {
        ForEach(body, name, [&](const std::string& key, const YAML::Node& value) {
          if (key == "group_id")
            config_.feedback.group_id = Scalar(value, key);
          else if (key == "store_path")
            config_.feedback.store_path = Scalar(value, key);
          else if (key == "http_listen")
            config_.feedback.http_listen = Scalar(value, key);
          else if (key == "score")
            ReadScoreRules(value);
          else if (key == "handover")
            ReadHandoverRules(value);
          else if (key == "pause")
            ReadPauseRules(value);
          else if (key == "attribution")
            ReadAttributionRules(value);
          else if (key == "reactivation")
            ReadReactivationRules(value);
          else if (key == "tick_interval_s")
            config_.feedback.tick_interval_ms =
                int64_t{Int(value, name + "." + key, 0, 604800)} * 1000;
          else
            Unknown(value, name + "." + key);
        });
      } else if (name == "sink") {
        ForEach(body, name, [&](const std::string& kind, const YAML::Node& section) {
          auto& sink = config_.sink;
          if (kind == "http") {
            ForEach(section, "sink.http", [&](const std::string& key, const YAML::Node& value) {
              const std::string full = "sink.http." + key;
              if (key == "url")
                sink.http_url = Scalar(value, key);
              else if (key == "auth_header")
                sink.http_auth_header = Scalar(value, key);
              else if (key == "auth_env")
                sink.http_auth_env = Scalar(value, key);
              else if (key == "secret_env")
                sink.http_secret_env = Scalar(value, key);
              else if (key == "max_in_flight")
                sink.http_max_in_flight = Int(value, full, 1, 256);
              else if (key == "max_attempts")
                sink.http_max_attempts = Int(value, full, 1, 1000);
              else if (key == "initial_backoff_ms")
                sink.http_initial_backoff_ms = Int(value, full, 1);
              else if (key == "max_backoff_ms")
                sink.http_max_backoff_ms = Int(value, full, 1);
              else if (key == "timeout_ms")
                sink.http_timeout_ms = Int(value, full, 1000);
              else if (key == "auth" || key == "secret" || key == "token")
                throw ConfigError(Where(path_, value) + ": " + full +
                                  " is a secret: give it in the environment variable that "
                                  "sink.http.auth_env or sink.http.secret_env names");
              else
                Unknown(value, full);
            });
          } else if (kind == "chat") {
            ForEach(section, "sink.chat", [&](const std::string& key, const YAML::Node& value) {
              if (key == "url_env")
                sink.chat_url_env = Scalar(value, key);
              else if (key == "url")
                throw ConfigError(Where(path_, value) +
                                  ": sink.chat.url is a secret (whoever has it can post): give "
                                  "it in the environment variable sink.chat.url_env names");
              else
                Unknown(value, "sink.chat." + key);
            });
          } else if (kind == "jsonl") {
            ForEach(section, "sink.jsonl", [&](const std::string& key, const YAML::Node& value) {
              if (key == "path")
                sink.jsonl_path = Scalar(value, key);
              else
                Unknown(value, "sink.jsonl." + key);
            });
          } else {
            Unknown(section, name + "." + kind);
          }
        });
      } else if (name == "http") {
        ReadHttp(body);
      } else if (name == "webhook") {
        ForEach(body, name, [&](const std::string& key, const YAML::Node& value) {
          auto& webhook = config_.webhook;
          if (key == "listen")
            webhook.listen = Scalar(value, key);
          else if (key == "source_system")
            webhook.source_system = Scalar(value, key);
          else if (key == "secret_env")
            webhook.secret_env = Scalar(value, key);
          else if (key == "previous_secret_env")
            webhook.previous_secret_env = Scalar(value, key);
          else if (key == "max_body_bytes")
            webhook.max_body_bytes = ParseInt(Scalar(value, key), Where(path_, value), key, 1);
          else if (key == "publish_timeout_ms")
            webhook.publish_timeout_ms = ParseInt(Scalar(value, key), Where(path_, value), key, 1);
          else if (key == "transactional_id")
            webhook.transactional_id = Scalar(value, key);
          else if (key == "secret")
            throw ConfigError(Where(path_, value) +
                              ": webhook.secret is a secret: give it in the environment variable "
                              "that webhook.secret_env names");
          else
            Unknown(value, name + "." + key);
        });
      } else {
        Unknown(section.first, name);
      }
    }
  }

  std::string Scalar(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar())
      throw ConfigError(Where(path_, node) + ": " + key + " must be a single value");
    return node.as<std::string>();
  }

  void ForEach(const YAML::Node& node, const std::string& section,
               const std::function<void(const std::string&, const YAML::Node&)>& visit) const {
    if (node.IsNull()) return;
    if (!node.IsMap())
      throw ConfigError(Where(path_, node) + ": " + section + " must be a mapping");
    for (const auto& entry : node) visit(entry.first.as<std::string>(), entry.second);
  }

  [[noreturn]] void Unknown(const YAML::Node& node, const std::string& key) const {
    throw ConfigError(Where(path_, node) + ": unknown key " + key +
                      " (see docs/configuration.md for the keys Accord reads)");
  }

  void ReadHttp(const YAML::Node& node) {
    auto& http = config_.http;
    auto& limits = http.limits;
    ForEach(node, "http", [&](const std::string& key, const YAML::Node& value) {
      const std::string name = "http." + key;
      if (key == "max_body_bytes")
        limits.max_body_bytes = Int(value, name, 1);
      else if (key == "max_header_bytes")
        limits.max_header_bytes = Int(value, name, 1024, 1 << 20);
      else if (key == "max_header_fields")
        limits.max_header_fields = Int(value, name, 8, 10000);
      else if (key == "header_timeout_ms")
        limits.header_timeout_ms = Int(value, name, 100);
      else if (key == "body_timeout_ms")
        limits.body_timeout_ms = Int(value, name, 100);
      else if (key == "write_timeout_ms")
        limits.write_timeout_ms = Int(value, name, 100);
      else if (key == "max_connections")
        limits.max_connections = Int(value, name, 1, 100000);
      else if (key == "workers")
        limits.workers = Int(value, name, 1, 256);
      else if (key == "tls_cert_file")
        http.tls_cert_file = Scalar(value, key);
      else if (key == "tls_key_file")
        http.tls_key_file = Scalar(value, key);
      else if (key == "allowed_hosts")
        http.allowed_hosts = List(value, name);
      else if (key == "allowed_origins")
        http.allowed_origins = List(value, name);
      else if (key == "metrics_access")
        http.metrics_access = AccessNamed(Scalar(value, key), Where(path_, value) + ": " + name);
      else if (key == "access_log")
        http.access_log = Scalar(value, key);
      else if (key == "tokens")
        ForEach(value, name, [&](const std::string& principal, const YAML::Node& role) {
          AddPrincipal(http, principal, Scalar(role, principal),
                       Where(path_, role) + ": " + name + "." + principal);
        });
      else if (key == "token" || key.starts_with("token_"))
        throw ConfigError(Where(path_, value) + ": " + name +
                          ": tokens are secrets: name the principals and their roles in "
                          "http.tokens, give each token in ACCORD_HTTP_TOKEN_<NAME> or "
                          "ACCORD_HTTP_TOKEN_<NAME>_FILE");
      else
        Unknown(value, name);
    });
  }

  std::vector<std::string> List(const YAML::Node& node, const std::string& key) const {
    if (!node.IsSequence()) throw ConfigError(Where(path_, node) + ": " + key + " must be a list");
    std::vector<std::string> out;
    for (const auto& item : node) out.push_back(Scalar(item, key));
    return out;
  }

  void ReadFieldRules(const YAML::Node& node) {
    ForEach(node, "fold.field_rules", [&](const std::string& field, const YAML::Node& value) {
      fold::FieldRule rule;
      try {
        rule = fold::ParseFieldRule(Scalar(value, field));
      } catch (const std::invalid_argument& e) {
        throw ConfigError(Where(path_, value) + ": fold.field_rules." + field + ": " + e.what());
      }
      if (field == "default")
        config_.fold.rules.default_rule = rule;
      else
        config_.fold.rules.fields[field] = rule;
    });
  }

  int Int(const YAML::Node& value, const std::string& key, int min, int max = 1'000'000'000) const {
    return ParseInt(Scalar(value, key), Where(path_, value), key, min, max);
  }

  static int64_t Days(int days) { return int64_t{days} * 86'400'000; }

  v1::EngagementKind EngagementKindNamed(const std::string& kind, const YAML::Node& where,
                                         const std::string& section) const {
    auto parsed = events::ParseEngagementKind(kind);
    if (parsed) return *parsed;
    std::string known;
    for (int i = v1::EngagementKind_MIN + 1; i <= v1::EngagementKind_MAX; ++i)
      if (v1::EngagementKind_IsValid(i))
        known += (known.empty() ? "" : ", ") +
                 events::EngagementKindName(static_cast<v1::EngagementKind>(i));
    throw ConfigError(Where(path_, where) + ": " + section + ": unknown engagement kind \"" + kind +
                      "\" (" + known + ")");
  }

  // "opened: 1" entries: engagement kinds by name and their points.
  std::map<v1::EngagementKind, int32_t> EngagementPoints(const YAML::Node& node,
                                                         const std::string& section, int min,
                                                         int max) const {
    std::map<v1::EngagementKind, int32_t> points;
    ForEach(node, section, [&](const std::string& kind, const YAML::Node& value) {
      points[EngagementKindNamed(kind, value, section)] =
          Int(value, section + "." + kind, min, max);
    });
    return points;
  }

  // Four ascending whole numbers: the RFM score thresholds.
  std::vector<int64_t> Thresholds(const YAML::Node& node, const std::string& key) const {
    if (!node.IsSequence() || node.size() != 4)
      throw ConfigError(Where(path_, node) + ": " + key +
                        " must be a list of four ascending whole numbers");
    std::vector<int64_t> out;
    for (const auto& item : node) {
      out.push_back(Int(item, key, 0));
      if (out.size() > 1 && out.back() <= out[out.size() - 2])
        throw ConfigError(Where(path_, item) + ": " + key +
                          " must be a list of four ascending whole numbers");
    }
    return out;
  }

  void ReadAttributionRules(const YAML::Node& node) {
    auto& rules = config_.feedback.rules.attribution;
    ForEach(node, "feedback.attribution", [&](const std::string& key, const YAML::Node& value) {
      const std::string name = "feedback.attribution." + key;
      if (key == "touch_kinds") {
        if (!value.IsSequence() || value.size() == 0)
          throw ConfigError(Where(path_, value) + ": " + name +
                            " must be a non-empty list of engagement kinds");
        rules.touch_kinds.clear();
        for (const auto& item : value)
          rules.touch_kinds.insert(EngagementKindNamed(Scalar(item, key), item, name));
      } else if (key == "window_days") {
        rules.window_ms = Days(Int(value, name, 1, 3650));
      } else if (key == "currency") {
        rules.currency = Scalar(value, key);
        const bool iso =
            rules.currency.size() == 3 && std::all_of(rules.currency.begin(), rules.currency.end(),
                                                      [](char c) { return c >= 'A' && c <= 'Z'; });
        if (!iso)
          throw ConfigError(Where(path_, value) + ": " + name +
                            " must be an ISO 4217 code such as EUR, got \"" + rules.currency +
                            "\"");
      } else {
        Unknown(value, name);
      }
    });
  }

  void ReadReactivationRules(const YAML::Node& node) {
    auto& rules = config_.feedback.rules.reactivation;
    ForEach(node, "feedback.reactivation", [&](const std::string& key, const YAML::Node& value) {
      const std::string name = "feedback.reactivation." + key;
      if (key == "min_purchases") {
        rules.min_purchases = Int(value, name, 2, 1000);
      } else if (key == "overdue_factor") {
        const std::string text = Scalar(value, key);
        double factor = 0;
        try {
          size_t used = 0;
          factor = std::stod(text, &used);
          if (used != text.size()) throw std::invalid_argument(text);
        } catch (const std::logic_error&) {
          throw ConfigError(Where(path_, value) + ": " + name + " must be a number, got \"" + text +
                            "\"");
        }
        if (!(factor >= 1.0 && factor <= 100.0))
          throw ConfigError(Where(path_, value) + ": " + name + " must be between 1 and 100, got " +
                            text);
        rules.overdue_permille = std::llround(factor * 1000);
      } else if (key == "complaint_days") {
        rules.complaint_window_ms = Days(Int(value, name, 1, 3650));
      } else if (key == "recency_days") {
        rules.recency_days = Thresholds(value, name);
      } else if (key == "frequency") {
        rules.frequency = Thresholds(value, name);
      } else if (key == "monetary_minor") {
        rules.monetary_minor = Thresholds(value, name);
      } else {
        Unknown(value, name);
      }
    });
  }

  void ReadScoreRules(const YAML::Node& node) {
    auto& rules = config_.feedback.rules.score;
    ForEach(node, "feedback.score", [&](const std::string& key, const YAML::Node& value) {
      const std::string name = "feedback.score." + key;
      if (key == "half_life_days") {
        rules.half_life_ms = Days(Int(value, name, 1, 3650));
      } else if (key == "step") {
        rules.step = Int(value, name, 0, 1000);
      } else if (key == "engagement") {
        rules.engagement = EngagementPoints(value, name, 0, 1000);
      } else if (key == "negative") {
        rules.negative = EngagementPoints(value, name, -1000, 0);
      } else if (key == "lead_rejected") {
        rules.lead_rejected.clear();
        ForEach(value, name, [&](const std::string& reason, const YAML::Node& points) {
          rules.lead_rejected[reason] = Int(points, name + "." + reason, -1000, 0);
        });
      } else if (key == "fit") {
        if (!value.IsSequence())
          throw ConfigError(Where(path_, value) + ": " + name +
                            " must be a list of rules ({field, in or contains, points})");
        rules.fit.clear();
        for (const auto& entry : value) rules.fit.push_back(ReadFitRule(entry));
      } else {
        Unknown(value, name);
      }
    });
    for (const auto& [kind, points] : rules.engagement)
      if (rules.negative.count(kind))
        throw ConfigError(path_ + ": feedback.score: " + events::EngagementKindName(kind) +
                          " is in both engagement and negative");
  }

  feedback::FitRule ReadFitRule(const YAML::Node& node) const {
    const std::string where = Where(path_, node);
    if (!node.IsMap())
      throw ConfigError(where +
                        ": feedback.score.fit: each rule is a mapping like "
                        "{field: job_title, contains: [marketing], points: 10}");
    feedback::FitRule rule;
    bool has_points = false, has_values = false;
    ForEach(node, "feedback.score.fit", [&](const std::string& key, const YAML::Node& value) {
      if (key == "field") {
        rule.field = Scalar(value, key);
        const auto& fields = feedback::FitFields();
        if (std::find(fields.begin(), fields.end(), rule.field) == fields.end()) {
          std::string known;
          for (const auto& field : fields) known += (known.empty() ? "" : ", ") + field;
          throw ConfigError(Where(path_, value) + ": feedback.score.fit: unknown field \"" +
                            rule.field + "\" (" + known + ")");
        }
      } else if (key == "in" || key == "contains") {
        if (has_values)
          throw ConfigError(Where(path_, value) +
                            ": feedback.score.fit: a rule has one of in, contains, or "
                            "at_least/below");
        has_values = true;
        rule.match =
            key == "in" ? feedback::FitRule::Match::kIn : feedback::FitRule::Match::kContains;
        if (!value.IsSequence() || value.size() == 0)
          throw ConfigError(Where(path_, value) + ": feedback.score.fit." + key +
                            " must be a non-empty list of values");
        for (const auto& item : value) {
          std::string text = Scalar(item, key);
          for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          if (text.empty())
            throw ConfigError(Where(path_, item) + ": feedback.score.fit." + key +
                              ": an empty value matches nothing");
          rule.values.push_back(std::move(text));
        }
      } else if (key == "at_least" || key == "below") {
        if (has_values && rule.match != feedback::FitRule::Match::kRange)
          throw ConfigError(Where(path_, value) +
                            ": feedback.score.fit: a rule has one of in, contains, or "
                            "at_least/below");
        has_values = true;
        rule.match = feedback::FitRule::Match::kRange;
        (key == "at_least" ? rule.at_least : rule.below) =
            Int(value, "feedback.score.fit." + key, 0);
      } else if (key == "points") {
        rule.points = Int(value, "feedback.score.fit.points", -1000, 1000);
        has_points = true;
      } else {
        Unknown(value, "feedback.score.fit." + key);
      }
    });
    if (rule.field.empty() || !has_values || !has_points)
      throw ConfigError(where +
                        ": feedback.score.fit: a rule needs field, in or contains (at_least or "
                        "below for a number), and points");
    const bool numeric = feedback::IsNumericFitField(rule.field);
    if (numeric != (rule.match == feedback::FitRule::Match::kRange))
      throw ConfigError(where + ": feedback.score.fit: " + rule.field +
                        (numeric ? " is a number: match it with at_least and/or below"
                                 : " is text: match it with in or contains"));
    if (rule.at_least && rule.below && *rule.below <= *rule.at_least)
      throw ConfigError(where + ": feedback.score.fit: below must be more than at_least");
    return rule;
  }

  void ReadPauseRules(const YAML::Node& node) {
    auto& rules = config_.feedback.rules.pause;
    ForEach(node, "feedback.pause", [&](const std::string& key, const YAML::Node& value) {
      const std::string name = "feedback.pause." + key;
      if (key == "max_attempts")
        rules.max_attempts = Int(value, name, 1, 10000);
      else if (key == "window_days")
        rules.window_ms = Days(Int(value, name, 1, 3650));
      else if (key == "pause_days")
        rules.pause_ms = Days(Int(value, name, 1, 3650));
      else
        Unknown(value, name);
    });
  }

  void ReadHandoverRules(const YAML::Node& node) {
    auto& rules = config_.feedback.rules.handover;
    ForEach(node, "feedback.handover", [&](const std::string& key, const YAML::Node& value) {
      const std::string name = "feedback.handover." + key;
      if (key == "min_score")
        rules.min_score = Int(value, name, -1000000, 1000000);
      else if (key == "min_fit")
        rules.min_fit = Int(value, name, -1000000, 1000000);
      else if (key == "min_engagement")
        rules.min_engagement = Int(value, name, 0, 1000000);
      else if (key == "engagement_window_days")
        rules.engagement_window_ms = Days(Int(value, name, 1, 3650));
      else
        Unknown(value, name);
    });
  }

  void ReadProperties(const YAML::Node& node) {
    ForEach(node, "kafka.properties", [&](const std::string& key, const YAML::Node& value) {
      if (IsSecret(key))
        throw ConfigError(Where(path_, value) + ": kafka.properties." + key +
                          " is a secret: give it in the environment or as " + key + "_file");
      const std::string suffix = "_file";
      if (key.size() > suffix.size() && key.ends_with(suffix)) {
        std::string property = key.substr(0, key.size() - suffix.size());
        config_.kafka.properties[property] = ReadSecretFile(Scalar(value, key), property);
      } else {
        config_.kafka.properties[key] = Scalar(value, key);
      }
    });
  }

  AppConfig& config_;
  std::string path_;
};

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// ACCORD_HTTP_TOKENS=ops:admin,dashboard:aggregate names principals (adding
// to http.tokens); each one's token comes from ACCORD_HTTP_TOKEN_<NAME> or
// the file ACCORD_HTTP_TOKEN_<NAME>_FILE names (NAME upper-cased, - as _).
void ApplyHttpTokens(http::ServerOptions& http, const Environment& env) {
  if (auto it = env.find("ACCORD_HTTP_TOKENS"); it != env.end())
    for (const auto& entry : SplitList(it->second)) {
      const auto colon = entry.find(':');
      if (colon == std::string::npos)
        throw ConfigError("environment ACCORD_HTTP_TOKENS: \"" + entry +
                          "\" is not name:role (e.g. ops:admin)");
      AddPrincipal(http, entry.substr(0, colon), entry.substr(colon + 1),
                   "environment ACCORD_HTTP_TOKENS");
    }
  // A missing or weak token is refused by the servers that need them
  // (http::CheckCredentials), not here: commands that serve nothing run
  // with the same configuration and no tokens.
  for (auto& principal : http.principals) {
    const std::string variable = http::TokenVariable(principal.name);
    auto direct = env.find(variable);
    auto file = env.find(variable + "_FILE");
    if (direct != env.end() && file != env.end())
      throw ConfigError("http.tokens." + principal.name + ": set " + variable + " or " + variable +
                        "_FILE, not both");
    if (direct != env.end())
      principal.token = direct->second;
    else if (file != env.end())
      principal.token = ReadSecretFile(file->second, variable);
  }
}

void ApplyEnvironment(AppConfig& config, const Environment& env) {
  auto text = [&](const char* name, std::string& target) {
    if (auto it = env.find(name); it != env.end()) target = it->second;
  };
  auto number = [&](const char* name, int& target, int min, int max = 1'000'000'000) {
    if (auto it = env.find(name); it != env.end())
      target = ParseInt(it->second, std::string("environment ") + name, name, min, max);
  };
  text("ACCORD_LOG_LEVEL", config.log_level);
  text("ACCORD_KAFKA_BOOTSTRAP_SERVERS", config.kafka.bootstrap_servers);
  text("ACCORD_KAFKA_TOPIC_PREFIX", config.kafka.topic_prefix);
  number("ACCORD_KAFKA_CONNECT_TIMEOUT_MS", config.kafka.connect_timeout_ms, 1);
  text("ACCORD_STORE_PATH", config.store.path);
  text("ACCORD_PROJECT_GROUP_ID", config.project.group_id);
  text("ACCORD_PROJECT_INSTANCE_ID", config.project.instance_id);
  text("ACCORD_PROJECT_HTTP_LISTEN", config.project.http_listen);
  text("ACCORD_FEEDBACK_GROUP_ID", config.feedback.group_id);
  text("ACCORD_SINK_HTTP_URL", config.sink.http_url);
  text("ACCORD_SINK_JSONL_PATH", config.sink.jsonl_path);
  text("ACCORD_FEEDBACK_STORE_PATH", config.feedback.store_path);
  text("ACCORD_FEEDBACK_HTTP_LISTEN", config.feedback.http_listen);
  if (auto it = env.find("ACCORD_FEEDBACK_TICK_INTERVAL_S"); it != env.end())
    config.feedback.tick_interval_ms =
        int64_t{ParseInt(it->second, "environment ACCORD_FEEDBACK_TICK_INTERVAL_S",
                         "ACCORD_FEEDBACK_TICK_INTERVAL_S", 0, 604800)} *
        1000;
  number("ACCORD_PROJECT_BATCH_MAX_MESSAGES", config.project.batch_max_messages, 1);
  number("ACCORD_PROJECT_BATCH_MAX_MS", config.project.batch_max_ms, 1);
  number("ACCORD_PROJECT_FOLD_THREADS", config.project.fold_threads, 1);
  text("ACCORD_WEBHOOK_LISTEN", config.webhook.listen);
  text("ACCORD_WEBHOOK_SOURCE_SYSTEM", config.webhook.source_system);
  text("ACCORD_WEBHOOK_SECRET_ENV", config.webhook.secret_env);
  text("ACCORD_WEBHOOK_PREVIOUS_SECRET_ENV", config.webhook.previous_secret_env);
  number("ACCORD_WEBHOOK_MAX_BODY_BYTES", config.webhook.max_body_bytes, 1);
  number("ACCORD_WEBHOOK_PUBLISH_TIMEOUT_MS", config.webhook.publish_timeout_ms, 1);
  text("ACCORD_WEBHOOK_TRANSACTIONAL_ID", config.webhook.transactional_id);
  auto& http = config.http;
  auto size = [&](const char* name, size_t& target, int min, int max = 1'000'000'000) {
    int value = static_cast<int>(std::min<size_t>(target, 1'000'000'000));
    number(name, value, min, max);
    target = static_cast<size_t>(value);
  };
  // The same ranges as the file's keys (FileReader::ReadHttp).
  size("ACCORD_HTTP_MAX_BODY_BYTES", http.limits.max_body_bytes, 1);
  size("ACCORD_HTTP_MAX_HEADER_BYTES", http.limits.max_header_bytes, 1024, 1 << 20);
  size("ACCORD_HTTP_MAX_HEADER_FIELDS", http.limits.max_header_fields, 8, 10000);
  number("ACCORD_HTTP_HEADER_TIMEOUT_MS", http.limits.header_timeout_ms, 100);
  number("ACCORD_HTTP_BODY_TIMEOUT_MS", http.limits.body_timeout_ms, 100);
  number("ACCORD_HTTP_WRITE_TIMEOUT_MS", http.limits.write_timeout_ms, 100);
  number("ACCORD_HTTP_MAX_CONNECTIONS", http.limits.max_connections, 1, 100000);
  number("ACCORD_HTTP_WORKERS", http.limits.workers, 1, 256);
  text("ACCORD_HTTP_TLS_CERT_FILE", http.tls_cert_file);
  text("ACCORD_HTTP_TLS_KEY_FILE", http.tls_key_file);
  text("ACCORD_HTTP_ACCESS_LOG", http.access_log);
  if (auto it = env.find("ACCORD_HTTP_ALLOWED_HOSTS"); it != env.end())
    http.allowed_hosts = SplitList(it->second);
  if (auto it = env.find("ACCORD_HTTP_ALLOWED_ORIGINS"); it != env.end())
    http.allowed_origins = SplitList(it->second);
  if (auto it = env.find("ACCORD_HTTP_METRICS_ACCESS"); it != env.end())
    http.metrics_access = AccessNamed(it->second, "environment ACCORD_HTTP_METRICS_ACCESS");
  ApplyHttpTokens(http, env);
}

// ACCORD_KAFKA_PROPERTY_SASL_PASSWORD=x sets librdkafka's sasl.password.
void ApplyPropertyEnvironment(AppConfig& config, const Environment& env) {
  constexpr std::string_view prefix = "ACCORD_KAFKA_PROPERTY_";
  for (const auto& [name, value] : env) {
    if (!name.starts_with(prefix) || name.size() == prefix.size()) continue;
    std::string property = name.substr(prefix.size());
    for (char& c : property) c = c == '_' ? '.' : static_cast<char>(std::tolower(c));
    config.kafka.properties[property] = value;
  }
}

}  // namespace

Environment ProcessEnvironment() {
  Environment env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view pair(*entry);
    auto equals = pair.find('=');
    if (equals != std::string_view::npos)
      env.emplace(pair.substr(0, equals), pair.substr(equals + 1));
  }
  return env;
}

AppConfig Load(const std::string& path, const Environment& env) {
  AppConfig config;
  if (!path.empty()) FileReader(config, path).Read();
  ApplyEnvironment(config, env);
  ApplyPropertyEnvironment(config, env);
  if (config.kafka.bootstrap_servers.empty())
    throw ConfigError("kafka.bootstrap_servers must not be empty");
  if (config.kafka.topic_prefix.empty()) throw ConfigError("kafka.topic_prefix must not be empty");
  return config;
}

}  // namespace accord::config
