#include "connectors/cdc/change_stream.h"

#include <gtest/gtest.h>

namespace accord::connectors::cdc {
namespace {

// Builders for the bytes pgoutput sends (protocol version 1).
class Bytes {
 public:
  Bytes& Byte(char c) {
    out_ += c;
    return *this;
  }
  Bytes& Int(uint64_t value, int size) {
    for (int shift = (size - 1) * 8; shift >= 0; shift -= 8)
      out_ += static_cast<char>((value >> shift) & 0xff);
    return *this;
  }
  Bytes& String(const std::string& text) {
    out_ += text;
    out_ += '\0';
    return *this;
  }
  // A row: nullopt is NULL, "\x01" an unchanged TOAST value.
  Bytes& Row(const std::vector<std::optional<std::string>>& values) {
    Int(values.size(), 2);
    for (const auto& value : values) {
      if (!value) {
        Byte('n');
      } else if (*value == "\x01") {
        Byte('u');
      } else {
        Byte('t').Int(value->size(), 4);
        out_ += *value;
      }
    }
    return *this;
  }
  std::string str() const { return out_; }

 private:
  std::string out_;
};

constexpr uint32_t kContacts = 16384;
// 2025-03-14T09:30:00Z in PostgreSQL's microseconds since 2000-01-01.
constexpr uint64_t kCommitTime = (1741944600ull - 946684800ull) * 1000000ull;

std::string Relation() {
  Bytes bytes;
  bytes.Byte('R').Int(kContacts, 4).String("crm").String("contacts").Byte('d').Int(3, 2);
  for (const char* column : {"id", "email", "notes"})
    bytes.Byte(1).String(column).Int(25, 4).Int(0xffffffff, 4);
  return bytes.str();
}
std::string Begin() {
  return Bytes().Byte('B').Int(0x5000, 8).Int(kCommitTime, 8).Int(7, 4).str();
}
std::string Commit(uint64_t end) {
  return Bytes().Byte('C').Byte(0).Int(0x5000, 8).Int(end, 8).Int(kCommitTime, 8).str();
}

std::optional<CommittedTransaction> Feed(ChangeStream& stream, const std::string& message,
                                         uint64_t lsn) {
  return stream.Add(XLogData{lsn, lsn, message});
}

TEST(ChangeStream, TransactionsArriveWhole) {
  ChangeStream stream;
  EXPECT_FALSE(Feed(stream, Relation(), 0x4000));
  EXPECT_FALSE(Feed(stream, Begin(), 0x4f00));
  EXPECT_FALSE(Feed(
      stream, Bytes().Byte('I').Int(kContacts, 4).Byte('N').Row({"1", "a@corp.de", "hi"}).str(),
      0x4f10));
  // The old row is skipped; the TOASTed notes were not sent with the change.
  EXPECT_FALSE(Feed(stream,
                    Bytes()
                        .Byte('U')
                        .Int(kContacts, 4)
                        .Byte('O')
                        .Row({"1", "x@corp.de", std::nullopt})
                        .Byte('N')
                        .Row({"1", "b@corp.de", "\x01"})
                        .str(),
                    0x4f20));
  EXPECT_FALSE(Feed(
      stream,
      Bytes().Byte('D').Int(kContacts, 4).Byte('K').Row({"1", std::nullopt, std::nullopt}).str(),
      0x4f30));
  EXPECT_TRUE(stream.InTransaction());
  auto committed = Feed(stream, Commit(0x5050), 0x5000);
  ASSERT_TRUE(committed);
  EXPECT_FALSE(stream.InTransaction());
  EXPECT_EQ(committed->end_lsn, 0x5050u);
  ASSERT_EQ(committed->changes.size(), 3u);

  const auto& insert = committed->changes[0];
  EXPECT_EQ(insert.table, "crm.contacts");
  EXPECT_EQ(insert.op, RowChange::Op::kInsert);
  EXPECT_EQ(insert.lsn, 0x4f10u);
  EXPECT_EQ(insert.columns.at("email"), "a@corp.de");
  EXPECT_EQ(insert.columns.at("_op"), "insert");
  EXPECT_EQ(insert.columns.at("_lsn"), std::to_string(0x4f10));
  EXPECT_EQ(insert.columns.at("_commit_time"), "2025-03-14T09:30:00.000Z");
  EXPECT_EQ(insert.columns.at("_table"), "crm.contacts");

  const auto& update = committed->changes[1];
  EXPECT_EQ(update.columns.at("email"), "b@corp.de");
  EXPECT_EQ(update.columns.at("notes"), std::nullopt);
  EXPECT_EQ(update.columns.at("_op"), "update");

  const auto& deletion = committed->changes[2];
  EXPECT_EQ(deletion.op, RowChange::Op::kDelete);
  EXPECT_EQ(deletion.columns.at("id"), "1");
  EXPECT_EQ(deletion.columns.at("email"), std::nullopt);
}

TEST(ChangeStream, BrokenStreamsAreProtocolErrors) {
  const std::string insert =
      Bytes().Byte('I').Int(kContacts, 4).Byte('N').Row({"1", "a@corp.de", "hi"}).str();
  {
    ChangeStream stream;  // a change outside a transaction
    Feed(stream, Relation(), 1);
    EXPECT_THROW(Feed(stream, insert, 2), ProtocolError);
  }
  {
    ChangeStream stream;  // a table never described
    Feed(stream, Begin(), 1);
    EXPECT_THROW(Feed(stream, insert, 2), ProtocolError);
  }
  {
    ChangeStream stream;  // truncated
    Feed(stream, Relation(), 1);
    Feed(stream, Begin(), 2);
    EXPECT_THROW(Feed(stream, insert.substr(0, insert.size() - 1), 3), ProtocolError);
    EXPECT_THROW(Feed(stream, "Z", 4), ProtocolError);
  }
  EXPECT_THROW(DecodeCopyData("x"), ProtocolError);
  EXPECT_THROW(DecodeCopyData("w123"), ProtocolError);
}

TEST(Pgoutput, FramesAndPositions) {
  auto keepalive = DecodeCopyData(Bytes().Byte('k').Int(0x16B374D848, 8).Int(0, 8).Byte(1).str());
  ASSERT_TRUE(std::holds_alternative<Keepalive>(keepalive));
  EXPECT_EQ(std::get<Keepalive>(keepalive).wal_end, 0x16B374D848u);
  EXPECT_TRUE(std::get<Keepalive>(keepalive).reply_requested);

  // The decoded message is a view into the frame, which must outlive it.
  const std::string frame = Bytes().Byte('w').Int(10, 8).Int(20, 8).Int(0, 8).str() + Begin();
  auto data = DecodeCopyData(frame);
  ASSERT_TRUE(std::holds_alternative<XLogData>(data));
  EXPECT_EQ(std::get<XLogData>(data).wal_start, 10u);
  EXPECT_EQ(std::get<XLogData>(data).data, Begin());

  const std::string update = EncodeStatusUpdate(0x16B374D848, 946684800000000 + 5);
  ASSERT_EQ(update.size(), 34u);
  EXPECT_EQ(update[0], 'r');
  EXPECT_EQ(update.substr(1, 8), Bytes().Int(0x16B374D848, 8).str());
  EXPECT_EQ(update.substr(25, 8), Bytes().Int(5, 8).str());

  EXPECT_EQ(FormatLsn(0x16B374D848), "16/B374D848");
  EXPECT_EQ(ParseLsn("16/B374D848"), 0x16B374D848u);
  EXPECT_EQ(ParseLsn("0/0"), 0u);
  for (const char* bad : {"", "/", "16/", "/1", "1G/0", "123456789/0"})
    EXPECT_EQ(ParseLsn(bad), std::nullopt) << bad;
}

}  // namespace
}  // namespace accord::connectors::cdc
