#include "app/config/registry.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <sstream>
#include <type_traits>

#include "domain/events/envelope.h"

namespace accord::config {

std::string Origin::Where(const YAML::Node& node) const {
  if (variable_) return "environment " + name_;
  return name_ + ":" + std::to_string(node.Mark().line + 1);
}

void Origin::Fail(const YAML::Node& node, const std::string& message) const {
  throw ConfigError(Where(node) + ": " + message);
}

void Origin::Unknown(const YAML::Node& node, const std::string& key) const {
  Fail(node, "unknown key " + key + " (see docs/configuration.md for the keys Accord reads)");
}

std::string Origin::Scalar(const YAML::Node& node, const std::string& key) const {
  if (!node.IsScalar()) Fail(node, key + " must be a single value");
  return node.as<std::string>();
}

void Origin::ForEach(
    const YAML::Node& node, const std::string& key,
    const std::function<void(const std::string&, const YAML::Node&)>& visit) const {
  if (node.IsNull()) return;
  if (!node.IsMap()) Fail(node, key + " must be a mapping");
  for (const auto& entry : node) visit(entry.first.as<std::string>(), entry.second);
}

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

namespace {

constexpr int64_t kNoMax = 1'000'000'000;
constexpr int64_t kDayMs = 86'400'000;

std::string VariableOf(std::string_view name) {
  std::string variable = "ACCORD_";
  for (char c : name)
    variable += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return variable;
}

std::string Range(int64_t min, int64_t max) {
  if (max == kNoMax) return "at least " + std::to_string(min);
  return std::to_string(min) + " to " + std::to_string(max);
}

template <typename Items, typename Format>
std::string Join(const Items& items, Format format, std::string_view separator = ", ") {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : std::string(separator)) + format(item);
  return out;
}

int64_t Whole(const Origin& origin, const YAML::Node& node, const std::string& key, int64_t min,
              int64_t max = kNoMax) {
  const std::string text = origin.Scalar(node, key);
  long long value = 0;
  try {
    size_t used = 0;
    value = std::stoll(text, &used);
    if (used != text.size()) throw std::invalid_argument(text);
  } catch (const std::logic_error&) {
    origin.Fail(node, key + " must be a whole number, got \"" + text + "\"");
  }
  if (value < min || value > max)
    origin.Fail(node, key + " must be between " + std::to_string(min) + " and " +
                          std::to_string(max) + ", got " + text);
  return value;
}

std::vector<std::string> Strings(const Origin& origin, const YAML::Node& node,
                                 const std::string& key) {
  if (!node.IsSequence()) origin.Fail(node, key + " must be a list");
  std::vector<std::string> out;
  for (const auto& item : node) out.push_back(origin.Scalar(item, key));
  return out;
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

Key Custom(std::string name, Key::Form form, std::string allowed, std::string doc,
           decltype(Key::read) read, decltype(Key::show) show) {
  return Key{.name = name,
             .variable = VariableOf(name),
             .form = form,
             .allowed = std::move(allowed),
             .doc = std::move(doc),
             .read = std::move(read),
             .show = std::move(show)};
}

// Keys of the common kinds. `get` is a generic lambda naming the member, so
// that the same accessor serves reading (AppConfig&) and showing (const).

enum class Empty { kAllowed, kRefused };

template <typename Get>
Key Text(std::string name, Get get, std::string doc, Empty empty = Empty::kAllowed) {
  return Custom(
      name, Key::Form::kText, empty == Empty::kAllowed ? "text" : "text, not empty", std::move(doc),
      [get, name, empty](AppConfig& config, const YAML::Node& node, const Origin& origin) {
        std::string value = origin.Scalar(node, name);
        if (empty == Empty::kRefused && value.empty())
          origin.Fail(node, name + " must not be empty");
        get(config) = std::move(value);
      },
      [get](const AppConfig& config) { return std::string(get(config)); });
}

// `unit`: the member's measure of one of the key's units (a day in
// milliseconds for a *_days key kept in milliseconds).
template <typename Get>
Key Number(std::string name, Get get, int64_t min, int64_t max, std::string doc, int64_t unit = 1) {
  return Custom(
      name, Key::Form::kText, Range(min, max), std::move(doc),
      [get, name, min, max, unit](AppConfig& config, const YAML::Node& node, const Origin& origin) {
        using Member = std::remove_cvref_t<decltype(get(config))>;
        get(config) = static_cast<Member>(Whole(origin, node, name, min, max) * unit);
      },
      [get, unit](const AppConfig& config) {
        return std::to_string(static_cast<int64_t>(get(config)) / unit);
      });
}

template <typename Get>
Key TextList(std::string name, Get get, std::string doc) {
  return Custom(
      name, Key::Form::kList, "a list (environment: comma-separated)", std::move(doc),
      [get, name](AppConfig& config, const YAML::Node& node, const Origin& origin) {
        get(config) = Strings(origin, node, name);
      },
      [get](const AppConfig& config) {
        return Join(get(config), [](const std::string& item) { return item; });
      });
}

std::string Quoted(const std::vector<std::string_view>& values) {
  return Join(values, [](std::string_view value) { return "`" + std::string(value) + "`"; });
}

// librdkafka properties that hold secrets: never accepted inline in the file.
constexpr std::array<std::string_view, 5> kSecretProperties = {
    "sasl.password", "ssl.key.password", "ssl.keystore.password", "sasl.oauthbearer.client.secret",
    "ssl.key.pem"};

bool IsSecretProperty(std::string_view property) {
  return std::find(kSecretProperties.begin(), kSecretProperties.end(), property) !=
         kSecretProperties.end();
}

Key KafkaProperties() {
  Key key = Custom(
      "kafka.properties", Key::Form::kCustom, "a mapping of librdkafka properties",
      "passed to librdkafka verbatim (`security.protocol`, `sasl.*`, `ssl.*`); secrets only from "
      "the environment (upper case, `.` written `_`) or a file named by `<name>_file`",
      [](AppConfig& config, const YAML::Node& node, const Origin& origin) {
        origin.ForEach(
            node, "kafka.properties", [&](const std::string& name, const YAML::Node& value) {
              if (IsSecretProperty(name))
                origin.Fail(value, "kafka.properties." + name +
                                       " is a secret: give it in the environment or as " + name +
                                       "_file");
              constexpr std::string_view kFile = "_file";
              if (name.size() > kFile.size() && name.ends_with(kFile)) {
                const std::string property = name.substr(0, name.size() - kFile.size());
                config.kafka.properties[property] =
                    ReadSecretFile(origin.Scalar(value, name), property);
              } else {
                config.kafka.properties[name] = origin.Scalar(value, name);
              }
            });
      },
      [](const AppConfig& config) {
        return Join(config.kafka.properties, [](const auto& entry) {
          return entry.first + ": " + (IsSecretProperty(entry.first) ? "***" : entry.second);
        });
      });
  key.variable = "ACCORD_KAFKA_PROPERTY_<NAME>";
  // ACCORD_KAFKA_PROPERTY_SASL_PASSWORD=x sets librdkafka's sasl.password.
  key.read_environment = [](AppConfig& config, const Environment& env) {
    constexpr std::string_view kPrefix = "ACCORD_KAFKA_PROPERTY_";
    for (const auto& [name, value] : env) {
      if (!name.starts_with(kPrefix) || name.size() == kPrefix.size()) continue;
      std::string property = name.substr(kPrefix.size());
      for (char& c : property)
        c = c == '_' ? '.' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      config.kafka.properties[property] = value;
    }
  };
  return key;
}

http::Access AccessNamed(const Origin& origin, const YAML::Node& node, const std::string& text,
                         const std::string& key) {
  auto access = http::ParseAccess(text);
  if (!access)
    origin.Fail(node, key + ": \"" + text + "\" is not a role (open, aggregate, read, admin)");
  return *access;
}

void AddPrincipal(http::ServerOptions& http, const std::string& name, http::Access role,
                  const Origin& origin, const YAML::Node& node) {
  const bool good_name =
      !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      });
  if (!good_name)
    origin.Fail(node, "http.tokens: a principal's name is 1 to 64 of a-z, 0-9, - and _");
  if (role == http::Access::kOpen)
    origin.Fail(node, "http.tokens." + name + ": a token's role is aggregate, read or admin");
  for (auto& principal : http.principals)
    if (principal.name == name) {
      principal.role = role;
      return;
    }
  http.principals.push_back({name, role, ""});
}

Key HttpTokens() {
  Key key = Custom(
      "http.tokens", Key::Form::kCustom, "`name: role` entries; roles `aggregate`, `read`, `admin`",
      "principals and their roles; names are 1 to 64 of `a-z`, `0-9`, `-`, `_`. The environment "
      "(`name:role,...`) adds to the file's. Each principal's bearer token comes from "
      "`ACCORD_HTTP_TOKEN_<NAME>` or the file `ACCORD_HTTP_TOKEN_<NAME>_FILE` names (`<NAME>` "
      "upper case, `-` written `_`), never from the file; at least 16 characters, different for "
      "every principal",
      [](AppConfig& config, const YAML::Node& node, const Origin& origin) {
        origin.ForEach(node, "http.tokens", [&](const std::string& name, const YAML::Node& role) {
          AddPrincipal(config.http, name,
                       AccessNamed(origin, role, origin.Scalar(role, name), "http.tokens." + name),
                       origin, role);
        });
      },
      [](const AppConfig& config) {
        return Join(config.http.principals, [](const http::Principal& principal) {
          return principal.name + ": " + std::string(http::AccessName(principal.role));
        });
      });
  key.read_environment = [variable = key.variable](AppConfig& config, const Environment& env) {
    auto& http = config.http;
    if (auto it = env.find(variable); it != env.end()) {
      const Origin origin = Origin::Variable(variable);
      const YAML::Node none;
      for (const auto& entry : SplitList(it->second)) {
        const auto colon = entry.find(':');
        if (colon == std::string::npos)
          origin.Fail(none, "\"" + entry + "\" is not name:role (e.g. ops:admin)");
        AddPrincipal(http, entry.substr(0, colon),
                     AccessNamed(origin, none, entry.substr(colon + 1), "http.tokens"), origin,
                     none);
      }
    }
    // A missing or weak token is refused by the servers that need them
    // (http::CheckCredentials), not here: commands that serve nothing run
    // with the same configuration and no tokens.
    for (auto& principal : http.principals) {
      const std::string token = http::TokenVariable(principal.name);
      auto direct = env.find(token);
      auto file = env.find(token + "_FILE");
      if (direct != env.end() && file != env.end())
        throw ConfigError("http.tokens." + principal.name + ": set " + token + " or " + token +
                          "_FILE, not both");
      if (direct != env.end())
        principal.token = direct->second;
      else if (file != env.end())
        principal.token = ReadSecretFile(file->second, token);
    }
  };
  return key;
}

std::string FieldRulesText(const fold::Rules& rules) {
  return "default: " + rules.default_rule.Text() +
         Join(
             rules.fields,
             [](const auto& field) { return ", " + field.first + ": " + field.second.Text(); }, "");
}

Key FieldRules() {
  return Custom(
      "fold.field_rules", Key::Form::kYaml, "`field: rule` entries (see Field rules)",
      "whose value the unified customer shows per field when sources disagree; `default` for "
      "fields without a rule of their own",
      [](AppConfig& config, const YAML::Node& node, const Origin& origin) {
        origin.ForEach(node, "fold.field_rules",
                       [&](const std::string& field, const YAML::Node& value) {
                         fold::FieldRule rule;
                         try {
                           rule = fold::ParseFieldRule(origin.Scalar(value, field));
                         } catch (const std::invalid_argument& e) {
                           origin.Fail(value, "fold.field_rules." + field + ": " + e.what());
                         }
                         if (field == "default")
                           config.fold.rules.default_rule = rule;
                         else
                           config.fold.rules.fields[field] = rule;
                       });
      },
      [](const AppConfig& config) { return FieldRulesText(config.fold.rules); });
}

std::string EngagementKinds() {
  std::string known;
  for (int i = v1::EngagementKind_MIN + 1; i <= v1::EngagementKind_MAX; ++i)
    if (v1::EngagementKind_IsValid(i))
      known += (known.empty() ? "" : ", ") +
               events::EngagementKindName(static_cast<v1::EngagementKind>(i));
  return known;
}

v1::EngagementKind EngagementKindNamed(const Origin& origin, const YAML::Node& node,
                                       const std::string& kind, const std::string& key) {
  auto parsed = events::ParseEngagementKind(kind);
  if (!parsed)
    origin.Fail(node,
                key + ": unknown engagement kind \"" + kind + "\" (" + EngagementKinds() + ")");
  return *parsed;
}

// "opened: 1" entries: engagement kinds by name and their points.
template <typename Get>
Key EngagementPoints(std::string name, Get get, int min, int max, std::string doc) {
  return Custom(
      name, Key::Form::kYaml, "`kind: points` entries, points " + Range(min, max), std::move(doc),
      [get, name, min, max](AppConfig& config, const YAML::Node& node, const Origin& origin) {
        std::map<v1::EngagementKind, int32_t> points;
        origin.ForEach(node, name, [&](const std::string& kind, const YAML::Node& value) {
          points[EngagementKindNamed(origin, value, kind, name)] =
              static_cast<int32_t>(Whole(origin, value, name + "." + kind, min, max));
        });
        get(config) = std::move(points);
      },
      [get](const AppConfig& config) {
        return Join(get(config), [](const auto& entry) {
          return events::EngagementKindName(entry.first) + ": " + std::to_string(entry.second);
        });
      });
}

Key LeadRejected() {
  const std::string name = "feedback.score.lead_rejected";
  return Custom(
      name, Key::Form::kYaml, "`reason: points` entries, points -1000 to 0",
      "points when sales rejects the lead with that reason code; `default` for codes not listed "
      "(none: 0)",
      [name](AppConfig& config, const YAML::Node& node, const Origin& origin) {
        auto& rejected = config.feedback.rules.score.lead_rejected;
        rejected.clear();
        origin.ForEach(node, name, [&](const std::string& reason, const YAML::Node& points) {
          rejected[reason] =
              static_cast<int32_t>(Whole(origin, points, name + "." + reason, -1000, 0));
        });
      },
      [](const AppConfig& config) {
        return Join(config.feedback.rules.score.lead_rejected, [](const auto& entry) {
          return entry.first + ": " + std::to_string(entry.second);
        });
      });
}

feedback::FitRule ReadFitRule(const Origin& origin, const YAML::Node& node) {
  constexpr std::string_view kOneOf =
      "feedback.score.fit: a rule has one of in, contains, or at_least/below";
  if (!node.IsMap())
    origin.Fail(node,
                "feedback.score.fit: each rule is a mapping like "
                "{field: job_title, contains: [marketing], points: 10}");
  feedback::FitRule rule;
  bool has_points = false, has_values = false;
  origin.ForEach(node, "feedback.score.fit", [&](const std::string& key, const YAML::Node& value) {
    const std::string name = "feedback.score.fit." + key;
    if (key == "field") {
      rule.field = origin.Scalar(value, key);
      const auto& fields = feedback::FitFields();
      if (std::find(fields.begin(), fields.end(), rule.field) == fields.end())
        origin.Fail(value, "feedback.score.fit: unknown field \"" + rule.field + "\" (" +
                               Join(fields, [](const std::string& f) { return f; }) + ")");
    } else if (key == "in" || key == "contains") {
      if (has_values) origin.Fail(value, std::string(kOneOf));
      has_values = true;
      rule.match =
          key == "in" ? feedback::FitRule::Match::kIn : feedback::FitRule::Match::kContains;
      if (!value.IsSequence() || value.size() == 0)
        origin.Fail(value, name + " must be a non-empty list of values");
      for (const auto& item : value) {
        std::string text = origin.Scalar(item, key);
        for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (text.empty()) origin.Fail(item, name + ": an empty value matches nothing");
        rule.values.push_back(std::move(text));
      }
    } else if (key == "at_least" || key == "below") {
      if (has_values && rule.match != feedback::FitRule::Match::kRange)
        origin.Fail(value, std::string(kOneOf));
      has_values = true;
      rule.match = feedback::FitRule::Match::kRange;
      (key == "at_least" ? rule.at_least : rule.below) = Whole(origin, value, name, 0);
    } else if (key == "points") {
      rule.points = static_cast<int32_t>(Whole(origin, value, name, -1000, 1000));
      has_points = true;
    } else {
      origin.Unknown(value, name);
    }
  });
  if (rule.field.empty() || !has_values || !has_points)
    origin.Fail(node,
                "feedback.score.fit: a rule needs field, in or contains (at_least or below for a "
                "number), and points");
  const bool numeric = feedback::IsNumericFitField(rule.field);
  if (numeric != (rule.match == feedback::FitRule::Match::kRange))
    origin.Fail(node, "feedback.score.fit: " + rule.field +
                          (numeric ? " is a number: match it with at_least and/or below"
                                   : " is text: match it with in or contains"));
  if (rule.at_least && rule.below && *rule.below <= *rule.at_least)
    origin.Fail(node, "feedback.score.fit: below must be more than at_least");
  return rule;
}

std::string FitRuleText(const feedback::FitRule& rule) {
  std::string text = rule.field;
  if (rule.match == feedback::FitRule::Match::kRange) {
    if (rule.at_least) text += " at_least " + std::to_string(*rule.at_least);
    if (rule.below) text += " below " + std::to_string(*rule.below);
  } else {
    text += rule.match == feedback::FitRule::Match::kIn ? " in " : " contains ";
    text += Join(
        rule.values, [](const std::string& value) { return value; }, "|");
  }
  return text + ": " + std::to_string(rule.points);
}

Key FitRules() {
  return Custom(
      "feedback.score.fit", Key::Form::kYaml,
      "a list of `{field, in or contains or at_least/below, points}` rules, points -1000 to 1000",
      "fit points for customers whose field matches; every matching rule counts "
      "([feedback.md](feedback.md) names the fields)",
      [](AppConfig& config, const YAML::Node& node, const Origin& origin) {
        if (!node.IsSequence())
          origin.Fail(node,
                      "feedback.score.fit must be a list of rules ({field, in or contains, "
                      "points})");
        auto& fit = config.feedback.rules.score.fit;
        fit.clear();
        for (const auto& entry : node) fit.push_back(ReadFitRule(origin, entry));
      },
      [](const AppConfig& config) {
        return Join(config.feedback.rules.score.fit, FitRuleText, "; ");
      });
}

Key TouchKinds() {
  const std::string name = "feedback.attribution.touch_kinds";
  return Custom(
      name, Key::Form::kList, "a non-empty list of engagement kinds (environment: comma-separated)",
      "engagement kinds that count as a campaign touching a contact",
      [name](AppConfig& config, const YAML::Node& node, const Origin& origin) {
        if (!node.IsSequence() || node.size() == 0)
          origin.Fail(node, name + " must be a non-empty list of engagement kinds");
        auto& kinds = config.feedback.rules.attribution.touch_kinds;
        kinds.clear();
        for (const auto& item : node)
          kinds.insert(EngagementKindNamed(origin, item, origin.Scalar(item, name), name));
      },
      [](const AppConfig& config) {
        return Join(config.feedback.rules.attribution.touch_kinds, events::EngagementKindName);
      });
}

Key Currency() {
  const std::string name = "feedback.attribution.currency";
  return Custom(
      name, Key::Form::kText, "an ISO 4217 code",
      "the currency of the figures; deals in others credit nothing (amounts are never converted)",
      [name](AppConfig& config, const YAML::Node& node, const Origin& origin) {
        std::string currency = origin.Scalar(node, name);
        const bool iso =
            currency.size() == 3 && std::all_of(currency.begin(), currency.end(),
                                                [](char c) { return c >= 'A' && c <= 'Z'; });
        if (!iso)
          origin.Fail(node,
                      name + " must be an ISO 4217 code such as EUR, got \"" + currency + "\"");
        config.feedback.rules.attribution.currency = std::move(currency);
      },
      [](const AppConfig& config) { return config.feedback.rules.attribution.currency; });
}

Key OverdueFactor() {
  const std::string name = "feedback.reactivation.overdue_factor";
  return Custom(
      name, Key::Form::kText, "1 to 100, decimals allowed",
      "due when the time since the last purchase exceeds the usual interval times this",
      [name](AppConfig& config, const YAML::Node& node, const Origin& origin) {
        const std::string text = origin.Scalar(node, name);
        double factor = 0;
        try {
          size_t used = 0;
          factor = std::stod(text, &used);
          if (used != text.size()) throw std::invalid_argument(text);
        } catch (const std::logic_error&) {
          origin.Fail(node, name + " must be a number, got \"" + text + "\"");
        }
        if (!(factor >= 1.0 && factor <= 100.0))
          origin.Fail(node, name + " must be between 1 and 100, got " + text);
        config.feedback.rules.reactivation.overdue_permille = std::llround(factor * 1000);
      },
      [](const AppConfig& config) {
        std::ostringstream text;
        text << static_cast<double>(config.feedback.rules.reactivation.overdue_permille) / 1000;
        return text.str();
      });
}

// Four ascending whole numbers: the RFM score thresholds.
template <typename Get>
Key Thresholds(std::string name, Get get, std::string doc) {
  return Custom(
      name, Key::Form::kList, "four ascending whole numbers (environment: comma-separated)",
      std::move(doc),
      [get, name](AppConfig& config, const YAML::Node& node, const Origin& origin) {
        const std::string shape = name + " must be a list of four ascending whole numbers";
        if (!node.IsSequence() || node.size() != 4) origin.Fail(node, shape);
        std::vector<int64_t> out;
        for (const auto& item : node) {
          out.push_back(Whole(origin, item, name, 0));
          if (out.size() > 1 && out.back() <= out[out.size() - 2]) origin.Fail(item, shape);
        }
        get(config) = std::move(out);
      },
      [get](const AppConfig& config) {
        return Join(get(config), [](int64_t value) { return std::to_string(value); });
      });
}

Key LogLevel() {
  static const std::vector<std::string_view> kLevels = {"trace", "debug", "info", "warn", "error"};
  return Custom(
      "log_level", Key::Form::kText, Quoted(kLevels), "what the process logs (`--log-level` wins)",
      [](AppConfig& config, const YAML::Node& node, const Origin& origin) {
        std::string level = origin.Scalar(node, "log_level");
        if (std::find(kLevels.begin(), kLevels.end(), level) == kLevels.end())
          origin.Fail(node, "log_level must be one of trace, debug, info, warn, error, got \"" +
                                level + "\"");
        config.log_level = std::move(level);
      },
      [](const AppConfig& config) { return config.log_level; });
}

Key MetricsAccess() {
  return Custom(
      "http.metrics_access", Key::Form::kText, Quoted({"open", "aggregate", "read", "admin"}),
      "who may read `/metrics`",
      [](AppConfig& config, const YAML::Node& node, const Origin& origin) {
        config.http.metrics_access = AccessNamed(
            origin, node, origin.Scalar(node, "http.metrics_access"), "http.metrics_access");
      },
      [](const AppConfig& config) {
        return std::string(http::AccessName(config.http.metrics_access));
      });
}

std::vector<Key> MakeKeys() {
  constexpr int64_t kDays = 3650;
  const std::string listen_note =
      "(`host:port`; empty: no server); needs tokens (`http.tokens`) or `--insecure-no-auth`";
  return {
      LogLevel(),
      Text(
          "kafka.bootstrap_servers", [](auto& c) -> auto& { return c.kafka.bootstrap_servers; },
          "Kafka brokers", Empty::kRefused),
      Text(
          "kafka.topic_prefix", [](auto& c) -> auto& { return c.kafka.topic_prefix; },
          "topics are `<prefix>.events`, `.campaigns`, `.feedback`, `.deadletter`",
          Empty::kRefused),
      Number(
          "kafka.connect_timeout_ms", [](auto& c) -> auto& { return c.kafka.connect_timeout_ms; },
          1, kNoMax, "how long a command waits for the cluster before failing with a clear error"),
      KafkaProperties(),
      Text(
          "store.path", [](auto& c) -> auto& { return c.store.path; },
          "the projection's RocksDB directory"),
      Text(
          "project.group_id", [](auto& c) -> auto& { return c.project.group_id; },
          "consumer group of the projection instances"),
      Text(
          "project.instance_id", [](auto& c) -> auto& { return c.project.instance_id; },
          "static membership (`group.instance.id`): a restarted instance gets its partitions "
          "back at once; stopped for good, it hands them on after `session.timeout.ms`. Empty: "
          "`accord-<host>-<hash of the store path>` for a running service, none with "
          "`--until-caught-up`"),
      Text(
          "project.http_listen", [](auto& c) -> auto& { return c.project.http_listen; },
          "where the projection serves the query API, `/metrics`, `/healthz` and `/readyz` " +
              listen_note),
      Number(
          "project.batch_max_messages",
          [](auto& c) -> auto& { return c.project.batch_max_messages; }, 1, kNoMax,
          "a batch (one RocksDB write per fold thread) ends after this many messages…"),
      Number(
          "project.batch_max_ms", [](auto& c) -> auto& { return c.project.batch_max_ms; }, 1,
          kNoMax, "…or after this many milliseconds"),
      Number(
          "project.fold_threads", [](auto& c) -> auto& { return c.project.fold_threads; }, 1,
          kNoMax,
          "threads folding in parallel; each partition is always folded by the same thread, "
          "in order, so the state does not depend on this number"),
      FieldRules(),
      Text(
          "feedback.group_id", [](auto& c) -> auto& { return c.feedback.group_id; },
          "consumer group of `accord feedback`"),
      Text(
          "feedback.store_path", [](auto& c) -> auto& { return c.feedback.store_path; },
          "the feedback service's RocksDB directory"),
      Text(
          "feedback.http_listen", [](auto& c) -> auto& { return c.feedback.http_listen; },
          "where `accord feedback` serves the query API with scores, campaign effectiveness and "
          "reactivation candidates, `/metrics`, `/healthz` and `/readyz` " +
              listen_note),
      Number(
          "feedback.tick_interval_s", [](auto& c) -> auto& { return c.feedback.tick_interval_ms; },
          0, 604800,
          "how often, in seconds, a running `accord feedback` publishes a tick to every "
          "partition of `<prefix>.events`, so that time passes for reactivation candidates "
          "(0: never; not with `--until-caught-up`); `accord tick` publishes one by hand",
          1000),
      Number(
          "feedback.score.half_life_days",
          [](auto& c) -> auto& { return c.feedback.rules.score.half_life_ms; }, 1, kDays,
          "days after which an engagement counts half", kDayMs),
      Number(
          "feedback.score.step", [](auto& c) -> auto& { return c.feedback.rules.score.step; }, 0,
          1000, "a score is emitted when it differs from the last emitted one by more than this"),
      EngagementPoints(
          "feedback.score.engagement",
          [](auto& c) -> auto& { return c.feedback.rules.score.engagement; }, 0, 1000,
          "points of one engagement of a kind (`" + EngagementKinds() +
              "`); kinds not listed score nothing"),
      EngagementPoints(
          "feedback.score.negative",
          [](auto& c) -> auto& { return c.feedback.rules.score.negative; }, -1000, 0,
          "points of an engagement that speaks against the lead; a kind cannot be "
          "in both lists"),
      LeadRejected(),
      FitRules(),
      Number(
          "feedback.handover.min_score",
          [](auto& c) -> auto& { return c.feedback.rules.handover.min_score; }, -1'000'000,
          1'000'000, "score needed for a handover"),
      Number(
          "feedback.handover.min_fit",
          [](auto& c) -> auto& { return c.feedback.rules.handover.min_fit; }, -1'000'000, 1'000'000,
          "fit needed for a handover"),
      Number(
          "feedback.handover.min_engagement",
          [](auto& c) -> auto& { return c.feedback.rules.handover.min_engagement; }, 0, 1'000'000,
          "engagement points within the window needed for a handover"),
      Number(
          "feedback.handover.engagement_window_days",
          [](auto& c) -> auto& { return c.feedback.rules.handover.engagement_window_ms; }, 1, kDays,
          "the window engagement is counted in, in days", kDayMs),
      Number(
          "feedback.pause.max_attempts",
          [](auto& c) -> auto& { return c.feedback.rules.pause.max_attempts; }, 1, 10000,
          "contact attempts allowed within the window; one more pauses contact"),
      Number(
          "feedback.pause.window_days",
          [](auto& c) -> auto& { return c.feedback.rules.pause.window_ms; }, 1, kDays,
          "the window attempts are counted in, in days", kDayMs),
      Number(
          "feedback.pause.pause_days",
          [](auto& c) -> auto& { return c.feedback.rules.pause.pause_ms; }, 1, kDays,
          "how long contact pauses after the latest attempt, in days", kDayMs),
      TouchKinds(),
      Number(
          "feedback.attribution.window_days",
          [](auto& c) -> auto& { return c.feedback.rules.attribution.window_ms; }, 1, kDays,
          "touches this long before a deal's creation share its credit", kDayMs),
      Currency(),
      Number(
          "feedback.reactivation.min_purchases",
          [](auto& c) -> auto& { return c.feedback.rules.reactivation.min_purchases; }, 2, 1000,
          "purchases needed for a usual interval"),
      OverdueFactor(),
      Number(
          "feedback.reactivation.complaint_days",
          [](auto& c) -> auto& { return c.feedback.rules.reactivation.complaint_window_ms; }, 1,
          kDays, "a complaint this recent is named as a reason", kDayMs),
      Thresholds(
          "feedback.reactivation.recency_days",
          [](auto& c) -> auto& { return c.feedback.rules.reactivation.recency_days; },
          "day counts: the recency scores 5, 4, 3, 2 up to each"),
      Thresholds(
          "feedback.reactivation.frequency",
          [](auto& c) -> auto& { return c.feedback.rules.reactivation.frequency; },
          "purchase counts: the frequency scores 2, 3, 4, 5 from each"),
      Thresholds(
          "feedback.reactivation.monetary_minor",
          [](auto& c) -> auto& { return c.feedback.rules.reactivation.monetary_minor; },
          "sums in minor units of the attribution currency: the monetary scores 2, 3, 4, 5 "
          "from each"),
      Text(
          "webhook.listen", [](auto& c) -> auto& { return c.webhook.listen; },
          "where `accord webhook` receives change notifications, with `/healthz` and `/metrics` "
          "(`host:port`; `--listen` wins); see [webhook.md](webhook.md)"),
      Text(
          "webhook.source_system", [](auto& c) -> auto& { return c.webhook.source_system; },
          "the source system of notifications whose request does not name one with `?source=`"),
      Text(
          "webhook.secret_env", [](auto& c) -> auto& { return c.webhook.secret_env; },
          "the environment variable holding the secret requests are signed with; `accord "
          "webhook` refuses to start when it is unset or empty"),
      Text(
          "webhook.previous_secret_env",
          [](auto& c) -> auto& { return c.webhook.previous_secret_env; },
          "the environment variable holding the secret being rotated out; while it is set and "
          "not empty, requests signed with either secret are accepted "
          "([security.md](security.md), \"Rotating the webhook secret\")"),
      Number(
          "webhook.max_body_bytes", [](auto& c) -> auto& { return c.webhook.max_body_bytes; }, 1,
          kNoMax,
          "the body limit of `POST /v1/hooks/changes` and `/v1/hooks/forms`, in place of "
          "`http.max_body_bytes`: a larger body is refused with 413 while it is read (at once "
          "when `Content-Length` says so)"),
      Number(
          "webhook.publish_timeout_ms",
          [](auto& c) -> auto& { return c.webhook.publish_timeout_ms; }, 1, kNoMax,
          "how long a request waits for Kafka to take its events; after that it is answered "
          "503 and nothing of it is published"),
      Text(
          "webhook.transactional_id", [](auto& c) -> auto& { return c.webhook.transactional_id; },
          "Kafka `transactional.id` of the receiver: unique per running receiver, the same "
          "across its restarts. Empty: `accord-webhook-<host>-<port>-<prefix>`"),
      Text(
          "sink.http.url", [](auto& c) -> auto& { return c.sink.http_url; },
          "where `accord sink http` posts feedback events (`--url` wins); see "
          "[sinks.md](sinks.md)"),
      Text(
          "sink.http.auth_header", [](auto& c) -> auto& { return c.sink.http_auth_header; },
          "header carrying the credentials"),
      Text(
          "sink.http.auth_env", [](auto& c) -> auto& { return c.sink.http_auth_env; },
          "environment variable holding the header's value (secrets are refused in the file)"),
      Text(
          "sink.http.secret_env", [](auto& c) -> auto& { return c.sink.http_secret_env; },
          "environment variable holding the key of `X-Accord-Signature`"),
      Number(
          "sink.http.max_in_flight", [](auto& c) -> auto& { return c.sink.http_max_in_flight; }, 1,
          256, "customers delivered to at once (`--max-in-flight` wins)"),
      Number(
          "sink.http.max_attempts", [](auto& c) -> auto& { return c.sink.http_max_attempts; }, 1,
          1000, "attempts per event before it is dead-lettered"),
      Number(
          "sink.http.initial_backoff_ms",
          [](auto& c) -> auto& { return c.sink.http_initial_backoff_ms; }, 1, kNoMax,
          "the first retry waits up to this"),
      Number(
          "sink.http.max_backoff_ms", [](auto& c) -> auto& { return c.sink.http_max_backoff_ms; },
          1, kNoMax, "no retry waits longer, unless `Retry-After` asks for it"),
      Number(
          "sink.http.timeout_ms", [](auto& c) -> auto& { return c.sink.http_timeout_ms; }, 1000,
          kNoMax, "connect, send and receive timeout of one attempt"),
      Text(
          "sink.chat.url_env", [](auto& c) -> auto& { return c.sink.chat_url_env; },
          "environment variable holding the chat's incoming-webhook URL (`--url` wins)"),
      Text(
          "sink.jsonl.path", [](auto& c) -> auto& { return c.sink.jsonl_path; },
          "the file `accord sink jsonl` appends to (`--path` wins)"),
      Number(
          "http.max_header_bytes", [](auto& c) -> auto& { return c.http.limits.max_header_bytes; },
          1024, 1 << 20, "request line and headers together; more is refused with 431"),
      Number(
          "http.max_header_fields",
          [](auto& c) -> auto& { return c.http.limits.max_header_fields; }, 8, 10000,
          "header fields; more is refused with 431"),
      Number(
          "http.max_body_bytes", [](auto& c) -> auto& { return c.http.limits.max_body_bytes; }, 1,
          kNoMax,
          "request body, by `Content-Length` or chunked; more is refused with 413 while it is "
          "read. `POST /v1/snapshots` takes at most 65536 bytes, the webhook's hooks "
          "`webhook.max_body_bytes`"),
      Number(
          "http.header_timeout_ms",
          [](auto& c) -> auto& { return c.http.limits.header_timeout_ms; }, 100, kNoMax,
          "from a connection's start or its previous answer to the end of the request's "
          "headers; then the connection is closed"),
      Number(
          "http.body_timeout_ms", [](auto& c) -> auto& { return c.http.limits.body_timeout_ms; },
          100, kNoMax,
          "from the end of the headers to the end of the body; then the connection is closed"),
      Number(
          "http.write_timeout_ms", [](auto& c) -> auto& { return c.http.limits.write_timeout_ms; },
          100, kNoMax, "for a client to take the answer; then the connection is closed"),
      Number(
          "http.max_connections", [](auto& c) -> auto& { return c.http.limits.max_connections; }, 1,
          100000,
          "connections served at once; 32 more are let in for `/healthz` and `/readyz`, other "
          "requests on them get 503"),
      Number(
          "http.workers", [](auto& c) -> auto& { return c.http.limits.workers; }, 1, 256,
          "threads answering requests; probes are answered without them"),
      Text(
          "http.tls_cert_file", [](auto& c) -> auto& { return c.http.tls_cert_file; },
          "PEM certificate chain, the server's first; with `http.tls_key_file`, every listener "
          "speaks TLS (1.2 or later) only"),
      Text(
          "http.tls_key_file", [](auto& c) -> auto& { return c.http.tls_key_file; },
          "the certificate's PEM private key, unencrypted"),
      TextList(
          "http.allowed_hosts", [](auto& c) -> auto& { return c.http.allowed_hosts; },
          "host names (without port) a request's `Host` may name besides IP addresses and "
          "`localhost`; another is refused with 421"),
      TextList(
          "http.allowed_origins", [](auto& c) -> auto& { return c.http.allowed_origins; },
          "browser origins (`https://ops.example.com`) that may send `POST` and other "
          "state-changing requests; another is refused with 403"),
      HttpTokens(),
      MetricsAccess(),
      Text(
          "http.access_log", [](auto& c) -> auto& { return c.http.access_log; },
          "file that every access to personal data is appended to, one JSON line each; empty: "
          "the process log"),
  };
}

struct Refusal {
  std::string_view name;
  bool prefix;  // http.token_ops as well as http.token
  std::string_view why;
};

constexpr std::string_view kSinkSecret =
    " is a secret: give it in the environment variable that sink.http.auth_env or "
    "sink.http.secret_env names";
constexpr std::string_view kHttpTokenSecret =
    ": tokens are secrets: name the principals and their roles in http.tokens, give each token "
    "in ACCORD_HTTP_TOKEN_<NAME> or ACCORD_HTTP_TOKEN_<NAME>_FILE";

constexpr std::array<Refusal, 7> kRefusals = {{
    {"webhook.secret", false,
     " is a secret: give it in the environment variable that webhook.secret_env names"},
    {"sink.http.auth", false, kSinkSecret},
    {"sink.http.secret", false, kSinkSecret},
    {"sink.http.token", false, kSinkSecret},
    {"sink.chat.url", false,
     " is a secret (whoever has it can post): give it in the environment variable "
     "sink.chat.url_env names"},
    {"http.token", false, kHttpTokenSecret},
    {"http.token_", true, kHttpTokenSecret},
}};

}  // namespace

const std::vector<Key>& Keys() {
  static const std::vector<Key> keys = MakeKeys();
  return keys;
}

const Key* FindKey(std::string_view name) {
  for (const auto& key : Keys())
    if (key.name == name) return &key;
  return nullptr;
}

std::optional<std::string> SecretRefusal(std::string_view name) {
  for (const auto& refusal : kRefusals)
    if (refusal.prefix ? name.starts_with(refusal.name) : name == refusal.name)
      return std::string(name) + std::string(refusal.why);
  return std::nullopt;
}

std::string ReferenceTable() {
  const AppConfig defaults;
  std::string table =
      "| key | environment | default | allowed | meaning |\n|---|---|---|---|---|\n";
  for (const auto& key : Keys()) {
    const std::string shown = key.show(defaults);
    table += "| `" + key.name + "` | `" + key.variable + "` | " +
             (shown.empty() ? "none" : "`" + shown + "`") + " | " + key.allowed + " | " + key.doc +
             " |\n";
  }
  return table;
}

}  // namespace accord::config
