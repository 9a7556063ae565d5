#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// Conversions of the text that exports and change feeds hold into the typed
// values events carry. Pure functions; each answers nullopt for text that is
// not what it expects, so the caller can name the column and the value.
namespace accord::connectors {

enum class Encoding { kUtf8, kLatin1, kWindows1252 };
// "utf-8", "latin1" / "iso-8859-1", "windows-1252" / "cp1252" (any case).
std::optional<Encoding> ParseEncoding(std::string_view name);
std::string_view EncodingName(Encoding encoding);

bool IsValidUtf8(std::string_view text);
// The text as UTF-8: Latin-1 and Windows-1252 bytes are converted; UTF-8 is
// checked and returned unchanged; nullopt when it is not valid UTF-8 (or
// holds a byte Windows-1252 leaves undefined).
std::optional<std::string> ToUtf8(std::string_view text, Encoding encoding);

// Why text from a source cannot be a value, "" when it can: a NUL byte,
// which no source means and at which C strings downstream would end, so
// every reader of the value would see another one.
std::string NulByteReason(std::string_view text);

// Without leading and trailing spaces, tabs and no-break spaces.
std::string Trim(std::string_view text);
std::string AsciiLower(std::string_view text);

// "12500", "12500.5", "12,500.50" with '.' as the decimal separator;
// "12.500,50" or "12500,5" with ','. Grouping by the other character, spaces
// or apostrophes. The amount in hundredths (cents); nullopt for more than two
// fraction digits, misplaced separators or overflow.
std::optional<int64_t> ParseMinorUnits(std::string_view text, char decimal_separator = '.');

// A whole number, optionally signed; "1.000" style grouping is refused.
std::optional<int64_t> ParseInteger(std::string_view text);

// true/false, yes/no, ja/nein, 1/0, x (case-insensitive); empty text answers neither.
std::optional<bool> ParseBoolean(std::string_view text);

// How dates in a source are written. kIso also takes the unambiguous German
// "DD.MM.YYYY"; day-first and month-first exports must be told apart.
enum class DateOrder { kIso, kDayMonthYear, kMonthDayYear };
// "iso", "DD.MM.YYYY", "DD/MM/YYYY", "MM/DD/YYYY".
std::optional<DateOrder> ParseDateOrder(std::string_view name);

// A date or date-time in the given order: ISO 8601 (see util/time.h), or
// "14.03.2025", "14/03/2025", "03/14/2025" optionally followed by " 09:30" or
// " 09:30:15". Times without an offset are UTC. Milliseconds since the epoch;
// nullopt for impossible dates.
std::optional<int64_t> ParseTimestampMs(std::string_view text, DateOrder order);
// A date alone, as "YYYY-MM-DD".
std::optional<std::string> ParseDate(std::string_view text, DateOrder order);

}  // namespace accord::connectors
