#include "app/config/config.h"

#include <unistd.h>

#include "app/config/registry.h"
#include "domain/events/envelope.h"

namespace accord::config {
namespace {

// "feedback.score" is a section because keys live under it.
bool IsSection(const std::string& name) {
  const std::string prefix = name + ".";
  for (const auto& key : Keys())
    if (key.name.starts_with(prefix)) return true;
  return false;
}

void ReadSection(AppConfig& config, const YAML::Node& node, const std::string& prefix,
                 const Origin& origin) {
  for (const auto& entry : node) {
    const std::string name = prefix + entry.first.as<std::string>();
    const YAML::Node& value = entry.second;
    if (const Key* key = FindKey(name)) {
      key->read(config, value, origin);
    } else if (IsSection(name)) {
      if (value.IsNull()) continue;
      if (!value.IsMap()) origin.Fail(value, name + " must be a mapping");
      ReadSection(config, value, name + ".", origin);
    } else if (auto refusal = SecretRefusal(name)) {
      origin.Fail(value, *refusal);
    } else {
      origin.Unknown(entry.first, name);
    }
  }
}

void ReadFile(AppConfig& config, const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw ConfigError(path + ": cannot read the configuration file");
  } catch (const YAML::Exception& e) {
    throw ConfigError(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  if (root.IsNull()) return;
  const Origin origin = Origin::File(path);
  if (!root.IsMap()) origin.Fail(root, "expected a mapping at top level");
  // yaml-cpp's conversions throw its own exceptions (a mapping or sequence
  // used as a key cannot be read as a string): report them as config errors.
  try {
    ReadSection(config, root, "", origin);
  } catch (const YAML::Exception& e) {
    throw ConfigError(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

YAML::Node EnvironmentValue(Key::Form form, const std::string& text) {
  if (form == Key::Form::kYaml) return YAML::Load(text);
  if (form == Key::Form::kList) {
    YAML::Node list(YAML::NodeType::Sequence);
    for (const auto& item : SplitList(text)) list.push_back(item);
    return list;
  }
  return YAML::Node(text);
}

void ReadEnvironment(AppConfig& config, const Environment& env) {
  for (const auto& key : Keys()) {
    try {
      if (key.form == Key::Form::kCustom) {
        key.read_environment(config, env);
      } else if (auto it = env.find(key.variable); it != env.end()) {
        key.read(config, EnvironmentValue(key.form, it->second), Origin::Variable(key.variable));
      }
    } catch (const YAML::Exception& e) {
      throw ConfigError("environment " + key.variable + ": " + e.msg);
    }
  }
}

// What no single key can check: how keys read from anywhere fit together.
void CheckTogether(const AppConfig& config) {
  const auto& score = config.feedback.rules.score;
  for (const auto& [kind, points] : score.engagement)
    if (score.negative.count(kind))
      throw ConfigError("feedback.score: " + events::EngagementKindName(kind) +
                        " is in both engagement and negative");
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
  if (!path.empty()) ReadFile(config, path);
  ReadEnvironment(config, env);
  CheckTogether(config);
  return config;
}

}  // namespace accord::config
