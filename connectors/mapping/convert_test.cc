#include "connectors/mapping/convert.h"

#include <gtest/gtest.h>

namespace accord::connectors {
namespace {

// Milliseconds since the epoch of a few instants the cases below use
// (date -u -d ... +%s).
constexpr int64_t k20250314 = 1741910400000;         // 2025-03-14T00:00:00Z
constexpr int64_t k20250314_0930 = 1741944600000;    // 2025-03-14T09:30:00Z
constexpr int64_t k20250314_093015 = 1741944615000;  // 2025-03-14T09:30:15Z
constexpr int64_t k20240229 = 1709164800000;         // 2024-02-29T00:00:00Z

// ---------------------------------------------------------------- encodings

TEST(Encoding, NamesInAnyCaseAndTheirCanonicalSpelling) {
  EXPECT_EQ(ParseEncoding("utf-8"), Encoding::kUtf8);
  EXPECT_EQ(ParseEncoding("UTF8"), Encoding::kUtf8);
  EXPECT_EQ(ParseEncoding("Latin1"), Encoding::kLatin1);
  EXPECT_EQ(ParseEncoding("latin-1"), Encoding::kLatin1);
  EXPECT_EQ(ParseEncoding("ISO-8859-1"), Encoding::kLatin1);
  EXPECT_EQ(ParseEncoding("Windows-1252"), Encoding::kWindows1252);
  EXPECT_EQ(ParseEncoding("CP1252"), Encoding::kWindows1252);
  for (const char* unknown : {"", "utf-16", "ascii", "iso-8859-15", " utf-8"})
    EXPECT_FALSE(ParseEncoding(unknown)) << unknown;
  // The canonical names parse back to the same encoding (they appear in errors
  // that tell the user which --encoding to choose).
  for (Encoding e : {Encoding::kUtf8, Encoding::kLatin1, Encoding::kWindows1252})
    EXPECT_EQ(ParseEncoding(EncodingName(e)), e);
}

TEST(Utf8, ValidTextOfEveryLength) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("J\xc3\xbcrgen"));              // ü, two bytes
  EXPECT_TRUE(IsValidUtf8("\xe2\x82\xac 5"));             // €, three bytes
  EXPECT_TRUE(IsValidUtf8("\xf0\x9f\x8e\x89"));           // 🎉, four bytes
  EXPECT_TRUE(IsValidUtf8("\xf4\x8f\xbf\xbf"));           // U+10FFFF, the last code point
  EXPECT_TRUE(IsValidUtf8(std::string_view("a\0b", 3)));  // NUL is a code point too
}

TEST(Utf8, InvalidSequencesAreRefused) {
  const char* invalid[] = {
      "J\xfcrgen",             // Latin-1 ü: a lead byte followed by ASCII
      "\x80",                  // a continuation byte alone
      "\xc3",                  // truncated two-byte sequence
      "\xe2\x82",              // truncated three-byte sequence
      "\xc0\xaf",              // overlong '/'
      "\xe0\x80\xaf",          // overlong '/' in three bytes
      "\xf0\x80\x80\xaf",      // overlong '/' in four bytes
      "\xed\xa0\x80",          // a UTF-16 surrogate (U+D800)
      "\xf4\x90\x80\x80",      // U+110000, beyond Unicode
      "\xf8\x88\x80\x80\x80",  // five-byte form
      "\xff",
  };
  for (const char* text : invalid) EXPECT_FALSE(IsValidUtf8(text)) << text;
}

TEST(NulByte, NamedWithItsPositionAndNothingElseIsRefused) {
  using namespace std::string_literals;
  EXPECT_EQ(NulByteReason("M\0ller"s), "holds a NUL byte (at byte 2 of 6)");
  EXPECT_EQ(NulByteReason("\0"s), "holds a NUL byte (at byte 1 of 1)");
  EXPECT_EQ(NulByteReason("Müller\x01\x7f"), "");
  EXPECT_EQ(NulByteReason(""), "");
}

TEST(ToUtf8, Utf8IsCheckedAndReturnedUnchanged) {
  EXPECT_EQ(ToUtf8("J\xc3\xbcrgen", Encoding::kUtf8), "J\xc3\xbcrgen");
  EXPECT_FALSE(ToUtf8("J\xfcrgen", Encoding::kUtf8));
}

TEST(ToUtf8, Latin1MapsEveryByteToItsCodePoint) {
  EXPECT_EQ(ToUtf8("J\xfcrgen M\xfcller", Encoding::kLatin1), "J\xc3\xbcrgen M\xc3\xbcller");
  EXPECT_EQ(ToUtf8("Gr\xfc\xdf Gott", Encoding::kLatin1), "Gr\xc3\xbc\xc3\x9f Gott");
  // 0x80..0x9f are C1 controls in Latin-1, not Windows-1252's characters.
  EXPECT_EQ(ToUtf8("\x80", Encoding::kLatin1), "\xc2\x80");
  EXPECT_EQ(ToUtf8("\xff", Encoding::kLatin1), "\xc3\xbf");
  EXPECT_EQ(ToUtf8("", Encoding::kLatin1), "");
  // Every result is valid UTF-8, whatever the bytes.
  std::string all;
  for (int b = 1; b < 256; ++b) all += static_cast<char>(b);
  auto converted = ToUtf8(all, Encoding::kLatin1);
  ASSERT_TRUE(converted);
  EXPECT_TRUE(IsValidUtf8(*converted));
}

TEST(ToUtf8, Windows1252UsesItsOwnCharactersInTheC1Range) {
  EXPECT_EQ(ToUtf8("\x80 5", Encoding::kWindows1252), "\xe2\x82\xac 5");  // €
  EXPECT_EQ(ToUtf8("\x84Hallo\x93", Encoding::kWindows1252),              // „ "
            "\xe2\x80\x9eHallo\xe2\x80\x9c");
  EXPECT_EQ(ToUtf8("\x96", Encoding::kWindows1252), "\xe2\x80\x93");          // –
  EXPECT_EQ(ToUtf8("\x8a\x9a", Encoding::kWindows1252), "\xc5\xa0\xc5\xa1");  // Š š
  EXPECT_EQ(ToUtf8("\x9f", Encoding::kWindows1252), "\xc5\xb8");              // Ÿ
  EXPECT_EQ(ToUtf8("\x99", Encoding::kWindows1252), "\xe2\x84\xa2");          // ™
  // Above 0x9f it is Latin-1.
  EXPECT_EQ(ToUtf8("M\xfcller\xa0", Encoding::kWindows1252), "M\xc3\xbcller\xc2\xa0");
}

TEST(ToUtf8, Windows1252UndefinedBytesAreRefused) {
  for (const char* text : {"\x81", "a\x8d", "\x8f", "\x90z", "\x9d"})
    EXPECT_FALSE(ToUtf8(text, Encoding::kWindows1252)) << text;
  // Latin-1 has no undefined bytes.
  EXPECT_TRUE(ToUtf8("\x81", Encoding::kLatin1));
}

// ---------------------------------------------------------------- text

TEST(Trim, SpacesTabsAndNoBreakSpacesAtBothEnds) {
  const std::string nbsp = "\xc2\xa0";  // U+00A0 in UTF-8
  EXPECT_EQ(Trim("  Anna \t"), "Anna");
  EXPECT_EQ(Trim(nbsp + "12,50" + nbsp), "12,50");  // Excel pads numbers with NBSP
  EXPECT_EQ(Trim(" " + nbsp + " \t" + nbsp + "x" + nbsp + " " + nbsp), "x");
  EXPECT_EQ(Trim("Anna  Meier"), "Anna  Meier");            // inner spaces stay
  EXPECT_EQ(Trim("1" + nbsp + "000"), "1" + nbsp + "000");  // inner NBSP stays
  EXPECT_EQ(Trim(""), "");
  EXPECT_EQ(Trim(" \t" + nbsp), "");
  // A lone Latin-1 0xa0 is not UTF-8 and not a no-break space: it stays, as
  // does half of a UTF-8 sequence.
  EXPECT_EQ(Trim("x\xa0"), "x\xa0");
  EXPECT_EQ(Trim("x\xc2"), "x\xc2");
}

TEST(AsciiLower, OnlyAsciiLettersChange) {
  EXPECT_EQ(AsciiLower("Anna@Corp.DE"), "anna@corp.de");
  EXPECT_EQ(AsciiLower("GR\xc3\x9cN"), "gr\xc3\x9cn");  // Ü stays
}

// ---------------------------------------------------------------- amounts

TEST(ParseMinorUnits, DecimalPoint) {
  EXPECT_EQ(ParseMinorUnits("12500"), 1250000);
  EXPECT_EQ(ParseMinorUnits("12500.5"), 1250050);
  EXPECT_EQ(ParseMinorUnits("12500.05"), 1250005);
  EXPECT_EQ(ParseMinorUnits("12,500.50"), 1250050);
  EXPECT_EQ(ParseMinorUnits("1,234,567.89"), 123456789);
  EXPECT_EQ(ParseMinorUnits("1,000"), 100000);  // a full group: thousands, not decimals
  EXPECT_EQ(ParseMinorUnits("0.99"), 99);
  EXPECT_EQ(ParseMinorUnits("0"), 0);
  EXPECT_EQ(ParseMinorUnits("-12.5"), -1250);
  EXPECT_EQ(ParseMinorUnits("+7"), 700);
}

TEST(ParseMinorUnits, DecimalComma) {
  EXPECT_EQ(ParseMinorUnits("12500,5", ','), 1250050);
  EXPECT_EQ(ParseMinorUnits("12.500,50", ','), 1250050);
  EXPECT_EQ(ParseMinorUnits("1.234.567,89", ','), 123456789);
  EXPECT_EQ(ParseMinorUnits("1.000", ','), 100000);
  EXPECT_EQ(ParseMinorUnits("-0,01", ','), -1);
}

TEST(ParseMinorUnits, SpacesAndApostrophesGroupToo) {
  EXPECT_EQ(ParseMinorUnits("12 500,50", ','), 1250050);
  EXPECT_EQ(ParseMinorUnits("1'234'567.00"), 123456700);  // Swiss
  EXPECT_EQ(ParseMinorUnits("12 500.50"), 1250050);
}

TEST(ParseMinorUnits, MisplacedSeparatorsAndOtherTextAreRefused) {
  struct Case {
    const char* text;
    char decimal;
  };
  const Case refused[] = {
      {"", '.'},
      {"-", '.'},
      {"abc", '.'},
      {"12.505", '.'},    // three fraction digits
      {"12,505", ','},    // the same with a comma
      {"12,50", '.'},     // a decimal comma where a point belongs
      {"12.5", ','},      // and the other way round
      {"1,2345", '.'},    // a group of four
      {"1234,567", '.'},  // a first group of four
      {"1,23,456", '.'},  // a group of two in the middle
      {"1,,000", '.'},    // an empty group
      {",500", '.'},      // grouping before any digit
      {"1,000.", '.'},    // a separator without fraction digits
      {"12.", '.'},
      {"1.5,0", '.'},           // grouping after the decimal separator
      {"1,000.000", '.'},       // too many fraction digits after groups
      {"1.000,00.0", ','},      // two decimal separators
      {"12 EUR", '.'},          // a currency code
      {"12\xe2\x82\xac", '.'},  // a currency sign
      {" 12", '.'},             // a leading space (callers trim first)
      {"1e3", '.'},             // an exponent
  };
  for (const auto& c : refused)
    EXPECT_FALSE(ParseMinorUnits(c.text, c.decimal)) << c.text << " with " << c.decimal;
}

TEST(ParseMinorUnits, OverflowIsRefused) {
  EXPECT_EQ(ParseMinorUnits("92233720368547758.07"), INT64_MAX);
  EXPECT_FALSE(ParseMinorUnits("92233720368547758.08"));
  EXPECT_FALSE(ParseMinorUnits("92233720368547759"));  // overflows when scaled by 100
  EXPECT_FALSE(ParseMinorUnits("99999999999999999999999"));
}

// ---------------------------------------------------------------- integers, booleans

TEST(ParseInteger, SignedWholeNumbers) {
  EXPECT_EQ(ParseInteger("42"), 42);
  EXPECT_EQ(ParseInteger("-7"), -7);
  EXPECT_EQ(ParseInteger("+7"), 7);
  EXPECT_EQ(ParseInteger("007"), 7);
  EXPECT_EQ(ParseInteger("9223372036854775807"), INT64_MAX);
  for (const char* text :
       {"", "-", "+", "1.000", "1,000", "1 000", "12.5", "4x", " 4", "9223372036854775808"})
    EXPECT_FALSE(ParseInteger(text)) << text;
}

TEST(ParseBoolean, EnglishGermanDigitsAndCheckboxes) {
  for (const char* yes : {"true", "TRUE", "Yes", "ja", "JA", "1", "x", "X", "y", "t"})
    EXPECT_EQ(ParseBoolean(yes), true) << yes;
  for (const char* no : {"false", "False", "no", "Nein", "0", "n", "f"})
    EXPECT_EQ(ParseBoolean(no), false) << no;
  for (const char* neither : {"maybe", "2", "on", "wahr", " yes"})
    EXPECT_FALSE(ParseBoolean(neither)) << neither;
}

// An empty cell is no answer: the mapping leaves the field unset rather than
// guessing "no".
TEST(ParseBoolean, EmptyTextIsNoAnswer) {
  EXPECT_EQ(ParseBoolean(""), std::nullopt);
}

// ---------------------------------------------------------------- dates

TEST(ParseDateOrder, TheDocumentedSpellingsInAnyCase) {
  EXPECT_EQ(ParseDateOrder("iso"), DateOrder::kIso);
  EXPECT_EQ(ParseDateOrder("ISO"), DateOrder::kIso);
  EXPECT_EQ(ParseDateOrder("YYYY-MM-DD"), DateOrder::kIso);
  EXPECT_EQ(ParseDateOrder("DD.MM.YYYY"), DateOrder::kDayMonthYear);
  EXPECT_EQ(ParseDateOrder("dd.mm.yyyy"), DateOrder::kDayMonthYear);
  EXPECT_EQ(ParseDateOrder("DD/MM/YYYY"), DateOrder::kDayMonthYear);
  EXPECT_EQ(ParseDateOrder("MM/DD/YYYY"), DateOrder::kMonthDayYear);
  for (const char* unknown : {"", "german", "DD.MM.YY", "YYYY/MM/DD", "M/D/Y"})
    EXPECT_FALSE(ParseDateOrder(unknown)) << unknown;
}

TEST(ParseTimestampMs, Iso8601) {
  EXPECT_EQ(ParseTimestampMs("2025-03-14", DateOrder::kIso), k20250314);
  EXPECT_EQ(ParseTimestampMs("2025-03-14T09:30:00Z", DateOrder::kIso), k20250314_0930);
  EXPECT_EQ(ParseTimestampMs("2025-03-14 09:30:00", DateOrder::kIso), k20250314_0930);
  EXPECT_EQ(ParseTimestampMs("2025-03-14T10:30:00+01:00", DateOrder::kIso), k20250314_0930);
  EXPECT_EQ(ParseTimestampMs("2025-03-14T09:30:00.250Z", DateOrder::kIso), k20250314_0930 + 250);
}

TEST(ParseTimestampMs, IsoOrderAlsoTakesTheUnambiguousGermanDate) {
  EXPECT_EQ(ParseTimestampMs("14.03.2025", DateOrder::kIso), k20250314);
  EXPECT_EQ(ParseTimestampMs("4.3.2025", DateOrder::kIso), k20250314 - 10 * 86400000LL);
  EXPECT_EQ(ParseTimestampMs("14.03.2025 09:30", DateOrder::kIso), k20250314_0930);
  // Slashes are ambiguous (day or month first?): not without being told.
  EXPECT_FALSE(ParseTimestampMs("03/14/2025", DateOrder::kIso));
  EXPECT_FALSE(ParseTimestampMs("14/03/2025", DateOrder::kIso));
}

TEST(ParseTimestampMs, DayFirst) {
  for (const char* text : {"14.03.2025", "14/03/2025", "14-03-2025"})
    EXPECT_EQ(ParseTimestampMs(text, DateOrder::kDayMonthYear), k20250314) << text;
  EXPECT_EQ(ParseTimestampMs("14.03.2025 09:30", DateOrder::kDayMonthYear), k20250314_0930);
  EXPECT_EQ(ParseTimestampMs("14.03.2025 9:30", DateOrder::kDayMonthYear), k20250314_0930);
  EXPECT_EQ(ParseTimestampMs("14/03/2025 09:30:15", DateOrder::kDayMonthYear), k20250314_093015);
  EXPECT_EQ(ParseTimestampMs("29.02.2024", DateOrder::kDayMonthYear), k20240229);
}

TEST(ParseTimestampMs, MonthFirst) {
  EXPECT_EQ(ParseTimestampMs("03/14/2025", DateOrder::kMonthDayYear), k20250314);
  EXPECT_EQ(ParseTimestampMs("3/14/2025 09:30", DateOrder::kMonthDayYear), k20250314_0930);
  EXPECT_EQ(ParseTimestampMs("03/14/2025 09:30:15", DateOrder::kMonthDayYear), k20250314_093015);
  // The same text read day-first is another day, or none.
  EXPECT_FALSE(ParseTimestampMs("03/14/2025", DateOrder::kDayMonthYear));
  EXPECT_FALSE(ParseTimestampMs("14/03/2025", DateOrder::kMonthDayYear));
  EXPECT_EQ(ParseTimestampMs("02/03/2025", DateOrder::kMonthDayYear),
            *ParseTimestampMs("03.02.2025", DateOrder::kDayMonthYear));
}

TEST(ParseTimestampMs, ImpossibleDatesAndTimesAreRefused) {
  struct Case {
    const char* text;
    DateOrder order;
  };
  const Case refused[] = {
      {"31.02.2025", DateOrder::kDayMonthYear},
      {"29.02.2025", DateOrder::kDayMonthYear},  // not a leap year
      {"31.04.2025", DateOrder::kDayMonthYear},
      {"00.03.2025", DateOrder::kDayMonthYear},
      {"14.13.2025", DateOrder::kDayMonthYear},
      {"31.02.2025", DateOrder::kIso},
      {"02/30/2024", DateOrder::kMonthDayYear},
      {"13/01/2025", DateOrder::kMonthDayYear},
      {"2025-02-29", DateOrder::kIso},
      {"2025-02-31T09:30:00Z", DateOrder::kIso},
      {"14.03.2025 24:00", DateOrder::kDayMonthYear},
      {"14.03.2025 09:60", DateOrder::kDayMonthYear},
      {"14.03.2025 09:30:61", DateOrder::kDayMonthYear},
  };
  for (const auto& c : refused) EXPECT_FALSE(ParseTimestampMs(c.text, c.order)) << c.text;
}

TEST(ParseTimestampMs, MalformedTextIsRefused) {
  struct Case {
    const char* text;
    DateOrder order;
  };
  const Case refused[] = {
      {"", DateOrder::kIso},
      {"yesterday", DateOrder::kIso},
      {"14.03.25", DateOrder::kDayMonthYear},         // two-digit year
      {"14.03/2025", DateOrder::kDayMonthYear},       // mixed separators
      {"14.03.2025 09", DateOrder::kDayMonthYear},    // hour without minutes
      {"14.03.2025 09:3", DateOrder::kDayMonthYear},  // one-digit minute
      {"14.03.2025 09:30:1", DateOrder::kDayMonthYear},
      {"14.03.2025 09:30 Uhr", DateOrder::kDayMonthYear},
      {"14.03.2025,09:30", DateOrder::kDayMonthYear},
      {"14.03.20250", DateOrder::kDayMonthYear},
      {"2025-03-14", DateOrder::kDayMonthYear},  // day-first sources write day first
      {"14.03.2025", DateOrder::kMonthDayYear},  // month 14
      {"123.03.2025", DateOrder::kDayMonthYear},
  };
  for (const auto& c : refused) EXPECT_FALSE(ParseTimestampMs(c.text, c.order)) << c.text;
}

TEST(ParseDate, DatesAsIsoDays) {
  EXPECT_EQ(ParseDate("2025-03-14", DateOrder::kIso), "2025-03-14");
  EXPECT_EQ(ParseDate("14.03.2025", DateOrder::kIso), "2025-03-14");
  EXPECT_EQ(ParseDate("4.3.2025", DateOrder::kDayMonthYear), "2025-03-04");
  EXPECT_EQ(ParseDate("14/03/2025", DateOrder::kDayMonthYear), "2025-03-14");
  EXPECT_EQ(ParseDate("03/14/2025", DateOrder::kMonthDayYear), "2025-03-14");
  EXPECT_EQ(ParseDate("29.02.2024", DateOrder::kDayMonthYear), "2024-02-29");
  // Spreadsheets write a date cell as midnight: still that day.
  EXPECT_EQ(ParseDate("14.03.2025 00:00", DateOrder::kDayMonthYear), "2025-03-14");
  // Before the epoch is still a date (a birthday, a founding date).
  EXPECT_EQ(ParseDate("20.07.1969", DateOrder::kDayMonthYear), "1969-07-20");
}

TEST(ParseDate, TimesOfDayAndImpossibleDatesAreNotDates) {
  EXPECT_FALSE(ParseDate("2025-03-14T09:30:00Z", DateOrder::kIso));
  EXPECT_FALSE(ParseDate("14.03.2025 09:30", DateOrder::kDayMonthYear));
  // Midnight in another zone is not midnight UTC: not a whole day.
  EXPECT_FALSE(ParseDate("2025-03-14T00:00:00+01:00", DateOrder::kIso));
  EXPECT_FALSE(ParseDate("31.02.2025", DateOrder::kDayMonthYear));
  EXPECT_FALSE(ParseDate("02/30/2025", DateOrder::kMonthDayYear));
  EXPECT_FALSE(ParseDate("", DateOrder::kIso));
}

}  // namespace
}  // namespace accord::connectors
