#include "connectors/import/csv_reader.h"

#include <gtest/gtest.h>

#include <sstream>

namespace accord::connectors::file_import {
namespace {

struct Read {
  size_t line;
  std::vector<std::string> fields;
  std::string error;
  bool operator==(const Read&) const = default;
};

void PrintTo(const Read& r, std::ostream* os) {
  *os << "{line " << r.line << ", [";
  for (const auto& f : r.fields) *os << '"' << f << "\" ";
  *os << "], error \"" << r.error << "\"}";
}

// Every record the reader yields for `text`.
std::vector<Read> ReadAll(const std::string& text, char delimiter = ',') {
  std::istringstream in(text);
  Reader reader(in, delimiter);
  std::vector<Read> out;
  Record record;
  std::string error;
  while (reader.Next(record, error)) {
    out.push_back({record.line, record.fields, error});
    if (out.size() > 100) break;  // a reader that never ends fails, not hangs
  }
  return out;
}

using Fields = std::vector<std::string>;

TEST(CsvReader, PlainRecordsWithAndWithoutFinalNewline) {
  EXPECT_EQ(ReadAll("a,b,c\n1,2,3\n"),
            (std::vector<Read>{{1, {"a", "b", "c"}, ""}, {2, {"1", "2", "3"}, ""}}));
  EXPECT_EQ(ReadAll("a,b\n1,2"), (std::vector<Read>{{1, {"a", "b"}, ""}, {2, {"1", "2"}, ""}}));
  EXPECT_TRUE(ReadAll("").empty());
}

TEST(CsvReader, QuotedFieldsWithDelimitersAndEscapedQuotes) {
  auto records = ReadAll("\"Meier, Anna\",\"say \"\"hi\"\"\",\"\",plain\n");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].fields, (Fields{"Meier, Anna", "say \"hi\"", "", "plain"}));
  EXPECT_EQ(records[0].error, "");
}

TEST(CsvReader, EmbeddedNewlinesKeepStartLines) {
  auto records = ReadAll("id,note\n1,\"two\nlines\"\n2,\"three\n\nlines\"\n3,x\n");
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[1], (Read{2, {"1", "two\nlines"}, ""}));
  EXPECT_EQ(records[2], (Read{4, {"2", "three\n\nlines"}, ""}));
  EXPECT_EQ(records[3], (Read{7, {"3", "x"}, ""}));
}

TEST(CsvReader, CrlfLineEnds) {
  EXPECT_EQ(
      ReadAll("a,b\r\n\"c\",\"d\"\r\ne,\"f\r\ng\"\r\n"),
      (std::vector<Read>{{1, {"a", "b"}, ""}, {2, {"c", "d"}, ""}, {3, {"e", "f\r\ng"}, ""}}));
  EXPECT_EQ(ReadAll("a,\r\n"), (std::vector<Read>{{1, {"a", ""}, ""}}));
}

TEST(CsvReader, ByteOrderMarkIsSkipped) {
  EXPECT_EQ(ReadAll("\xEF\xBB\xBFid,name\n1,x\n"),
            (std::vector<Read>{{1, {"id", "name"}, ""}, {2, {"1", "x"}, ""}}));
  // Not a BOM: the bytes stay.
  EXPECT_EQ(ReadAll("\xEFz,y\n"), (std::vector<Read>{{1, {"\xEFz", "y"}, ""}}));
}

TEST(CsvReader, EmptyTrailingFields) {
  EXPECT_EQ(ReadAll("a,,\n,,\n"),
            (std::vector<Read>{{1, {"a", "", ""}, ""}, {2, {"", "", ""}, ""}}));
}

TEST(CsvReader, OtherDelimiter) {
  EXPECT_EQ(ReadAll("a;\"b;c\";d\n", ';'), (std::vector<Read>{{1, {"a", "b;c", "d"}, ""}}));
}

TEST(CsvReader, UnterminatedQuoteIsAnError) {
  // Where the field was meant to end is unknowable, so the record reaches to
  // the end of input; the error names the line it started on.
  auto records = ReadAll("id,note\n1,\"never closed\n2,x\n");
  ASSERT_GE(records.size(), 2u);
  EXPECT_EQ(records[1].line, 2u);
  EXPECT_NE(records[1].error.find("never closed"), std::string::npos) << records[1].error;
}

TEST(CsvReader, TextAfterClosingQuoteIsAnErrorThenReadingResumes) {
  auto records = ReadAll("id,note\n1,\"ab\"c,d\n2,ok\n");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[1].line, 2u);
  EXPECT_NE(records[1].error.find("field 2"), std::string::npos) << records[1].error;
  EXPECT_EQ(records[2], (Read{3, {"2", "ok"}, ""}));
}

}  // namespace
}  // namespace accord::connectors::file_import
