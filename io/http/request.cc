#include "io/http/request.h"

#include <nlohmann/json.hpp>

namespace accord::http {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string_view> Request::Header(std::string_view name) const {
  for (const auto& [field, value] : headers)
    if (EqualsIgnoringCase(field, name)) return std::string_view(value);
  return std::nullopt;
}

std::optional<std::string_view> Request::Param(std::string_view name) const {
  auto it = params.find(std::string(name));
  if (it == params.end()) return std::nullopt;
  return std::string_view(it->second);
}

Response ErrorResponse(int status, std::string_view message) {
  // Messages quote what clients sent, which need not be UTF-8: replace what
  // is not rather than fail the answer.
  const nlohmann::json body{{"error", message}};
  return {status,
          "application/json",
          body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
          {}};
}

std::optional<std::string> UrlDecode(std::string_view text, bool query_component) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int high = HexValue(text[i + 1]), low = HexValue(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      c = static_cast<char>(high * 16 + low);
      i += 2;
    } else if (c == '+' && query_component) {
      c = ' ';
    }
    if (c == '\0') return std::nullopt;
    out.push_back(c);
  }
  return out;
}

std::optional<Target> ParseTarget(std::string_view target, std::string& error) {
  if (target.empty() || target.front() != '/') {
    error = "the request target must be a path starting with /";
    return std::nullopt;
  }
  Target parsed;
  const auto question = target.find('?');
  auto path = UrlDecode(target.substr(0, question), false);
  if (!path) {
    error = "the path has a broken percent-encoding or a NUL byte";
    return std::nullopt;
  }
  parsed.path = std::move(*path);
  if (question == std::string_view::npos) return parsed;
  std::string_view query = target.substr(question + 1);
  const auto fragment = query.find('#');
  if (fragment != std::string_view::npos) query = query.substr(0, fragment);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto equals = pair.find('=');
    auto name = UrlDecode(pair.substr(0, equals), true);
    auto value = equals == std::string_view::npos ? std::optional<std::string>("")
                                                  : UrlDecode(pair.substr(equals + 1), true);
    if (!name || !value) {
      error = "the query has a broken percent-encoding or a NUL byte";
      return std::nullopt;
    }
    parsed.params.emplace(std::move(*name), std::move(*value));
  }
  return parsed;
}

}  // namespace accord::http
