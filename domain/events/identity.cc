#include "domain/events/identity.h"

#include <algorithm>
#include <array>

namespace accord::events {
namespace {

std::string_view Trim(std::string_view s) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace

std::optional<std::string> NormaliseEmail(std::string_view raw) {
  std::string email = AsciiLower(Trim(raw));
  auto at = email.find('@');
  if (at == std::string::npos || at == 0 || email.find('@', at + 1) != std::string::npos)
    return std::nullopt;
  std::string_view domain = std::string_view(email).substr(at + 1);
  auto dot = domain.rfind('.');
  if (domain.empty() || dot == std::string_view::npos || domain.front() == '.' ||
      dot + 1 == domain.size() || domain.find("..") != std::string_view::npos)
    return std::nullopt;
  for (unsigned char c : email)
    if (c <= ' ' || c == 0x7f || c == ',' || c == ';' || c == '<' || c == '>' || c == '"')
      return std::nullopt;
  return email;
}

bool IsJunkIdentifier(std::string_view value) {
  std::string v = AsciiLower(Trim(value));
  if (v.empty()) return true;
  static constexpr std::array<std::string_view, 14> kJunk = {
      "null",    "none", "nil", "n/a", "na", "undefined", "anonymous",
      "unknown", "test", "-1",  "0",   "-",  "?",         "noemail"};
  if (std::find(kJunk.begin(), kJunk.end(), v) != kJunk.end()) return true;
  if (std::all_of(v.begin(), v.end(), [](char c) { return c == '0'; })) return true;
  if (std::all_of(v.begin(), v.end(), [](char c) { return c == '-' || c == '_' || c == '.'; }))
    return true;
  auto at = v.find('@');
  if (at != std::string::npos) {
    std::string_view local = std::string_view(v).substr(0, at);
    std::string_view domain = std::string_view(v).substr(at + 1);
    static constexpr std::array<std::string_view, 7> kJunkDomains = {
        "example.com", "example.org", "example.net", "test.com", "test.de", "localhost", "invalid"};
    if (std::find(kJunkDomains.begin(), kJunkDomains.end(), domain) != kJunkDomains.end())
      return true;
    static constexpr std::array<std::string_view, 8> kJunkLocals = {
        "noreply", "no-reply", "donotreply", "test", "null", "none", "anonymous", "unknown"};
    if (std::find(kJunkLocals.begin(), kJunkLocals.end(), local) != kJunkLocals.end()) return true;
  }
  return false;
}

std::optional<std::string> EmailIdentityKey(std::string_view raw_email) {
  auto email = NormaliseEmail(raw_email);
  if (!email || IsJunkIdentifier(*email)) return std::nullopt;
  return "email:" + *email;
}

bool IsValidSystemName(std::string_view system) {
  if (IsJunkIdentifier(system)) return false;
  return std::all_of(system.begin(), system.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  });
}

std::optional<std::string> SourceIdentityKey(std::string_view system, std::string_view record_id) {
  std::string s = AsciiLower(Trim(system));
  std::string_view r = Trim(record_id);
  if (!IsValidSystemName(s) || IsJunkIdentifier(r)) return std::nullopt;
  return "src:" + s + ":" + std::string(r);
}

std::optional<std::string> LinkedIdentityKey(std::string_view system_and_record) {
  auto colon = system_and_record.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  return SourceIdentityKey(system_and_record.substr(0, colon), system_and_record.substr(colon + 1));
}

std::string CheckIdentityKey(std::string_view what, const std::string& key) {
  const bool usable = key.starts_with("email:") ? EmailIdentityKey(key.substr(6)) == key
                      : key.starts_with("src:") ? LinkedIdentityKey(key.substr(4)) == key
                                                : false;
  if (usable) return "";
  return std::string(what) + " \"" + key +
         "\" is not a usable identity key (\"email:<address>\" or \"src:<system>:<id>\")";
}

}  // namespace accord::events
