#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/config/config.h"

namespace accord::config {

// Where a value came from, so that every refusal names the file and line or
// the environment variable. Environment values are turned into YAML nodes
// (see Key::Form), so one reader serves both.
class Origin {
 public:
  static Origin File(std::string path) { return Origin(std::move(path), false); }
  static Origin Variable(std::string name) { return Origin(std::move(name), true); }

  // "accord.yaml:12" or "environment ACCORD_X".
  std::string Where(const YAML::Node& node) const;
  [[noreturn]] void Fail(const YAML::Node& node, const std::string& message) const;
  [[noreturn]] void Unknown(const YAML::Node& node, const std::string& key) const;
  std::string Scalar(const YAML::Node& node, const std::string& key) const;
  // Calls `visit` for each entry of a mapping; nothing for an empty value.
  void ForEach(const YAML::Node& node, const std::string& key,
               const std::function<void(const std::string&, const YAML::Node&)>& visit) const;

 private:
  Origin(std::string name, bool variable) : name_(std::move(name)), variable_(variable) {}
  std::string name_;
  bool variable_;
};

// One configuration key: everything the file reader, the environment and
// the reference table (docs/configuration.md) know about it.
struct Key {
  // How an environment variable's text becomes the value the reader takes.
  enum class Form {
    kText,    // the text as it is
    kList,    // items separated by commas
    kYaml,    // a YAML value: a mapping or list of mappings ({a: 1, b: 2})
    kCustom,  // read_environment decides (key families, several variables)
  };

  std::string name;  // "sink.http.max_attempts"
  // ACCORD_ and the name upper-cased with '.' as '_'; a pattern for families.
  std::string variable;
  Form form = Form::kText;
  std::string allowed;  // for the table: "1 to 1000", "`open`, `read`", ...
  std::string doc;
  std::function<void(AppConfig&, const YAML::Node&, const Origin&)> read = {};
  // Only for Form::kCustom.
  std::function<void(AppConfig&, const Environment&)> read_environment = {};
  // The value as the table shows it; of a default AppConfig, the default.
  std::function<std::string(const AppConfig&)> show = {};
};

// Every key, in the order of the reference table.
const std::vector<Key>& Keys();
const Key* FindKey(std::string_view name);

// Why a name that is not a key is refused when it is a secret someone tried
// to write into the file (webhook.secret, http.token_*); nullopt otherwise.
std::optional<std::string> SecretRefusal(std::string_view name);

// "a, b,c" as {"a", "b", "c"}: lists in environment variables.
std::vector<std::string> SplitList(const std::string& text);

// The markdown table of every key, as docs/configuration.md holds it.
std::string ReferenceTable();

}  // namespace accord::config
