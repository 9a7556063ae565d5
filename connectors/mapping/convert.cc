#include "connectors/mapping/convert.h"

#include <array>
#include <cstdio>

#include "domain/util/time.h"

namespace accord::connectors {
namespace {

void AppendUtf8(std::string& out, uint32_t code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xc0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3f));
  } else {
    out += static_cast<char>(0xe0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code & 0x3f));
  }
}

// Windows-1252's 0x80..0x9f (0: undefined); the rest is Latin-1.
constexpr std::array<uint16_t, 32> kWindows1252High = {
    0x20ac, 0,      0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017d, 0,      0,      0x2018, 0x2019, 0x201c, 0x201d, 0x2022,
    0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0,      0x017e, 0x0178};

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

// Reads `count` digits (or 1..count when `at_least_one`) at `pos`.
std::optional<int> Digits(std::string_view text, size_t& pos, size_t min, size_t max) {
  size_t start = pos;
  int value = 0;
  while (pos < text.size() && pos - start < max && IsDigit(text[pos]))
    value = value * 10 + (text[pos++] - '0');
  if (pos - start < min) return std::nullopt;
  return value;
}

// "14.03.2025[ 09:30[:15]]" and the like, as an ISO 8601 text.
std::optional<std::string> NumericDateToIso(std::string_view text, bool day_first) {
  size_t pos = 0;
  auto first = Digits(text, pos, 1, 2);
  if (!first || pos >= text.size()) return std::nullopt;
  const char separator = text[pos];
  if (separator != '.' && separator != '/' && separator != '-') return std::nullopt;
  ++pos;
  auto second = Digits(text, pos, 1, 2);
  if (!second || pos >= text.size() || text[pos] != separator) return std::nullopt;
  ++pos;
  auto year = Digits(text, pos, 4, 4);
  if (!year) return std::nullopt;
  int day = day_first ? *first : *second;
  int month = day_first ? *second : *first;
  char iso[32];
  std::snprintf(iso, sizeof iso, "%04d-%02d-%02d", *year, month, day);
  std::string out = iso;
  if (pos == text.size()) return out;
  if (text[pos] != ' ' && text[pos] != 'T') return std::nullopt;
  ++pos;
  auto hour = Digits(text, pos, 1, 2);
  if (!hour || pos >= text.size() || text[pos] != ':') return std::nullopt;
  ++pos;
  auto minute = Digits(text, pos, 2, 2);
  if (!minute) return std::nullopt;
  int second_of_minute = 0;
  if (pos < text.size() && text[pos] == ':') {
    ++pos;
    auto seconds = Digits(text, pos, 2, 2);
    if (!seconds) return std::nullopt;
    second_of_minute = *seconds;
  }
  if (pos != text.size()) return std::nullopt;
  std::snprintf(iso, sizeof iso, "T%02d:%02d:%02dZ", *hour, *minute, second_of_minute);
  return out + iso;
}

std::optional<std::string> ToIso(std::string_view text, DateOrder order) {
  switch (order) {
    case DateOrder::kIso:
      if (text.size() >= 5 && IsDigit(text[0]) && (text[1] == '.' || text[2] == '.'))
        return NumericDateToIso(text, true);
      return std::string(text);
    case DateOrder::kDayMonthYear:
      return NumericDateToIso(text, true);
    case DateOrder::kMonthDayYear:
      return NumericDateToIso(text, false);
  }
  return std::nullopt;
}

}  // namespace

std::optional<Encoding> ParseEncoding(std::string_view name) {
  std::string lower = AsciiLower(name);
  if (lower == "utf-8" || lower == "utf8") return Encoding::kUtf8;
  if (lower == "latin1" || lower == "latin-1" || lower == "iso-8859-1") return Encoding::kLatin1;
  if (lower == "windows-1252" || lower == "cp1252") return Encoding::kWindows1252;
  return std::nullopt;
}

std::string_view EncodingName(Encoding encoding) {
  switch (encoding) {
    case Encoding::kUtf8:
      return "utf-8";
    case Encoding::kLatin1:
      return "latin1";
    case Encoding::kWindows1252:
      return "windows-1252";
  }
  return "";
}

bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    size_t length = c < 0x80           ? 1
                    : (c >> 5) == 0x6  ? 2
                    : (c >> 4) == 0xe  ? 3
                    : (c >> 3) == 0x1e ? 4
                                       : 0;
    if (length == 0 || i + length > text.size()) return false;
    uint32_t code = length == 1 ? c : c & (0x7f >> length);
    for (size_t k = 1; k < length; ++k) {
      unsigned char next = static_cast<unsigned char>(text[i + k]);
      if ((next >> 6) != 0x2) return false;
      code = (code << 6) | (next & 0x3f);
    }
    static constexpr uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kMinimum[length] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
      return false;
    i += length;
  }
  return true;
}

std::optional<std::string> ToUtf8(std::string_view text, Encoding encoding) {
  if (encoding == Encoding::kUtf8) {
    if (!IsValidUtf8(text)) return std::nullopt;
    return std::string(text);
  }
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    uint32_t code = static_cast<unsigned char>(c);
    if (encoding == Encoding::kWindows1252 && code >= 0x80 && code < 0xa0) {
      code = kWindows1252High[code - 0x80];
      if (code == 0) return std::nullopt;
    }
    AppendUtf8(out, code);
  }
  return out;
}

std::string NulByteReason(std::string_view text) {
  const size_t at = text.find('\0');
  if (at == std::string_view::npos) return "";
  return "holds a NUL byte (at byte " + std::to_string(at + 1) + " of " +
         std::to_string(text.size()) + ")";
}

std::string Trim(std::string_view text) {
  constexpr std::string_view kNoBreakSpace = "\xc2\xa0";
  for (;;) {
    if (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
      text.remove_prefix(1);
    else if (text.starts_with(kNoBreakSpace))
      text.remove_prefix(kNoBreakSpace.size());
    else
      break;
  }
  for (;;) {
    if (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
      text.remove_suffix(1);
    else if (text.ends_with(kNoBreakSpace))
      text.remove_suffix(kNoBreakSpace.size());
    else
      break;
  }
  return std::string(text);
}

std::string AsciiLower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::optional<int64_t> ParseMinorUnits(std::string_view text, char decimal_separator) {
  const char grouping = decimal_separator == ',' ? '.' : ',';
  bool negative = false;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  int64_t units = 0;
  int fraction_digits = -1;
  size_t digits = 0, digits_since_group = 0;
  bool grouped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == decimal_separator && fraction_digits < 0) {
      // Groups are three digits wide, the last one included.
      if (grouped && digits_since_group != 3) return std::nullopt;
      fraction_digits = 0;
      continue;
    }
    if ((c == grouping || c == ' ' || c == '\'') && fraction_digits < 0) {
      if (digits == 0 || (grouped && digits_since_group != 3) ||
          (!grouped && digits_since_group > 3))
        return std::nullopt;
      grouped = true;
      digits_since_group = 0;
      continue;
    }
    if (!IsDigit(c) || fraction_digits == 2) return std::nullopt;
    if (__builtin_mul_overflow(units, 10, &units) || __builtin_add_overflow(units, c - '0', &units))
      return std::nullopt;
    ++digits;
    ++digits_since_group;
    if (fraction_digits >= 0) ++fraction_digits;
  }
  if (digits == 0 || fraction_digits == 0) return std::nullopt;
  if (grouped && fraction_digits < 0 && digits_since_group != 3) return std::nullopt;
  for (int i = std::max(fraction_digits, 0); i < 2; ++i)
    if (__builtin_mul_overflow(units, 10, &units)) return std::nullopt;
  return negative ? -units : units;
}

std::optional<int64_t> ParseInteger(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (text.empty()) return std::nullopt;
  int64_t value = 0;
  for (char c : text) {
    if (!IsDigit(c)) return std::nullopt;
    if (__builtin_mul_overflow(value, 10, &value) || __builtin_add_overflow(value, c - '0', &value))
      return std::nullopt;
  }
  return negative ? -value : value;
}

std::optional<bool> ParseBoolean(std::string_view text) {
  std::string lower = AsciiLower(text);
  // "t" and "f": PostgreSQL's text form, as change data capture reads it.
  if (lower == "true" || lower == "yes" || lower == "ja" || lower == "1" || lower == "x" ||
      lower == "y" || lower == "t")
    return true;
  if (lower == "false" || lower == "no" || lower == "nein" || lower == "0" || lower == "n" ||
      lower == "f")
    return false;
  return std::nullopt;
}

std::optional<DateOrder> ParseDateOrder(std::string_view name) {
  std::string upper(name);
  for (char& c : upper)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  if (upper == "ISO" || upper == "ISO8601" || upper == "YYYY-MM-DD") return DateOrder::kIso;
  if (upper == "DD.MM.YYYY" || upper == "DD/MM/YYYY" || upper == "DD-MM-YYYY")
    return DateOrder::kDayMonthYear;
  if (upper == "MM/DD/YYYY") return DateOrder::kMonthDayYear;
  return std::nullopt;
}

std::optional<int64_t> ParseTimestampMs(std::string_view text, DateOrder order) {
  auto iso = ToIso(text, order);
  if (!iso) return std::nullopt;
  return ParseIsoTimestampMs(*iso);
}

std::optional<std::string> ParseDate(std::string_view text, DateOrder order) {
  auto ms = ParseTimestampMs(text, order);
  if (!ms) return std::nullopt;
  std::string iso = FormatIsoTimestampMs(*ms);
  if (iso.substr(10) != "T00:00:00.000Z") return std::nullopt;
  return iso.substr(0, 10);
}

}  // namespace accord::connectors
