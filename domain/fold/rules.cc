#include "domain/fold/rules.h"

#include <stdexcept>

namespace accord::fold {

std::string FieldRule::Text() const {
  std::string text;
  switch (kind) {
    case Kind::kNewest:
      return "newest";
    case Kind::kPrefer:
      text = "prefer";
      break;
    case Kind::kOnly:
      text = "only";
      break;
    case Kind::kIgnore:
      return "ignore";
  }
  for (const auto& source : sources) text += " " + source;
  return text;
}

FieldRule ParseFieldRule(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  for (char c : std::string(text) + " ") {
    if (c == ' ' || c == ',' || c == '\t') {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
  }
  if (words.empty()) throw std::invalid_argument("empty rule (newest, prefer, only or ignore)");
  FieldRule rule;
  const std::string kind = words.front();
  words.erase(words.begin());
  if (kind == "newest" || kind == "ignore") {
    if (!words.empty()) throw std::invalid_argument("\"" + kind + "\" takes no source systems");
    rule.kind = kind == "newest" ? FieldRule::Kind::kNewest : FieldRule::Kind::kIgnore;
    return rule;
  }
  if (kind != "prefer" && kind != "only")
    throw std::invalid_argument("unknown rule \"" + kind +
                                "\" (newest, prefer <systems>, only <systems>, ignore)");
  if (words.empty())
    throw std::invalid_argument("\"" + kind + "\" needs at least one source system");
  rule.kind = kind == "prefer" ? FieldRule::Kind::kPrefer : FieldRule::Kind::kOnly;
  rule.sources = std::move(words);
  return rule;
}

}  // namespace accord::fold
