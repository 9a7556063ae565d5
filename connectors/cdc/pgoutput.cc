#include "connectors/cdc/pgoutput.h"

#include <cstdio>

namespace accord::connectors::cdc {
namespace {

// PostgreSQL timestamps count microseconds from 2000-01-01T00:00:00Z.
constexpr int64_t kPostgresEpochUnixUs = 946'684'800'000'000;

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  uint8_t Byte() { return static_cast<uint8_t>(Take(1)[0]); }
  uint16_t Int16() { return static_cast<uint16_t>(BigEndian(2)); }
  uint32_t Int32() { return static_cast<uint32_t>(BigEndian(4)); }
  uint64_t Int64() { return BigEndian(8); }
  // A NUL-terminated string.
  std::string String() {
    auto end = data_.find('\0', position_);
    if (end == std::string_view::npos) throw ProtocolError("string without its terminating NUL");
    std::string out(data_.substr(position_, end - position_));
    position_ = end + 1;
    return out;
  }
  std::string_view Take(size_t size) {
    if (data_.size() - position_ < size)
      throw ProtocolError("message ends " + std::to_string(size - (data_.size() - position_)) +
                          " bytes early");
    auto out = data_.substr(position_, size);
    position_ += size;
    return out;
  }
  std::string_view Rest() { return Take(data_.size() - position_); }

 private:
  uint64_t BigEndian(size_t size) {
    uint64_t value = 0;
    for (char c : Take(size)) value = (value << 8) | static_cast<uint8_t>(c);
    return value;
  }

  std::string_view data_;
  size_t position_ = 0;
};

int64_t UnixMicros(uint64_t postgres_us) {
  // Commit times lie between 1970 and 9999; anything else is a broken stream.
  constexpr int64_t kYear10000UnixUs = 253'402'300'800'000'000;
  const auto since_2000 = static_cast<int64_t>(postgres_us);
  if (since_2000 < -kPostgresEpochUnixUs || since_2000 >= kYear10000UnixUs - kPostgresEpochUnixUs)
    throw ProtocolError("a commit time out of range");
  return since_2000 + kPostgresEpochUnixUs;
}

Tuple ReadTuple(Reader& in) {
  const uint16_t count = in.Int16();
  Tuple tuple;
  tuple.reserve(count);
  for (uint16_t i = 0; i < count; ++i) {
    Value value;
    switch (in.Byte()) {
      case 'n':
        value.kind = Value::Kind::kNull;
        break;
      case 'u':
        value.kind = Value::Kind::kUnchanged;
        break;
      case 't': {
        value.kind = Value::Kind::kText;
        value.text = std::string(in.Take(in.Int32()));
        break;
      }
      default:
        throw ProtocolError("unknown column kind in a row");
    }
    tuple.push_back(std::move(value));
  }
  return tuple;
}

}  // namespace

std::string FormatLsn(uint64_t lsn) {
  char text[32];
  std::snprintf(text, sizeof text, "%X/%X", static_cast<unsigned>(lsn >> 32),
                static_cast<unsigned>(lsn & 0xffffffff));
  return text;
}

std::optional<uint64_t> ParseLsn(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == text.size() || slash > 8 ||
      text.size() - slash - 1 > 8)
    return std::nullopt;
  uint64_t high = 0, low = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i == slash) continue;
    char c = text[i];
    int digit = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                       : -1;
    if (digit < 0) return std::nullopt;
    uint64_t& part = i < slash ? high : low;
    part = part * 16 + static_cast<uint64_t>(digit);
  }
  return high << 32 | low;
}

std::variant<XLogData, Keepalive> DecodeCopyData(std::string_view frame) {
  Reader in(frame);
  switch (in.Byte()) {
    case 'w': {
      XLogData data;
      data.wal_start = in.Int64();
      data.wal_end = in.Int64();
      in.Int64();  // the server's clock
      data.data = in.Rest();
      return data;
    }
    case 'k': {
      Keepalive keepalive;
      keepalive.wal_end = in.Int64();
      in.Int64();
      keepalive.reply_requested = in.Byte() != 0;
      return keepalive;
    }
    default:
      throw ProtocolError("unknown replication frame");
  }
}

std::string EncodeStatusUpdate(uint64_t lsn, int64_t now_unix_us) {
  std::string out = "r";
  auto put = [&](uint64_t value) {
    for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((value >> shift) & 0xff);
  };
  put(lsn);  // written
  put(lsn);  // flushed
  put(lsn);  // applied
  put(static_cast<uint64_t>(now_unix_us - kPostgresEpochUnixUs));
  out += '\0';  // no reply requested
  return out;
}

PgOutputMessage DecodePgOutput(std::string_view data) {
  Reader in(data);
  const char kind = static_cast<char>(in.Byte());
  switch (kind) {
    case 'B': {
      Begin begin;
      begin.final_lsn = in.Int64();
      begin.commit_time_unix_us = UnixMicros(in.Int64());
      begin.xid = in.Int32();
      return begin;
    }
    case 'C': {
      Commit commit;
      in.Byte();  // flags, unused
      commit.commit_lsn = in.Int64();
      commit.end_lsn = in.Int64();
      commit.commit_time_unix_us = UnixMicros(in.Int64());
      return commit;
    }
    case 'R': {
      Relation relation;
      relation.id = in.Int32();
      relation.schema = in.String();
      relation.table = in.String();
      in.Byte();  // replica identity setting
      const uint16_t count = in.Int16();
      for (uint16_t i = 0; i < count; ++i) {
        in.Byte();  // flags: part of the key
        relation.columns.push_back(in.String());
        in.Int32();  // type oid
        in.Int32();  // type modifier
      }
      return relation;
    }
    case 'I': {
      RowChange change{RowChange::Op::kInsert, in.Int32(), {}};
      if (in.Byte() != 'N') throw ProtocolError("insert without its new row");
      change.row = ReadTuple(in);
      return change;
    }
    case 'U': {
      RowChange change{RowChange::Op::kUpdate, in.Int32(), {}};
      char next = static_cast<char>(in.Byte());
      if (next == 'K' || next == 'O') {
        ReadTuple(in);  // the old key or row; the new row says what is now
        next = static_cast<char>(in.Byte());
      }
      if (next != 'N') throw ProtocolError("update without its new row");
      change.row = ReadTuple(in);
      return change;
    }
    case 'D': {
      RowChange change{RowChange::Op::kDelete, in.Int32(), {}};
      const char next = static_cast<char>(in.Byte());
      if (next != 'K' && next != 'O') throw ProtocolError("delete without its old key or row");
      change.row = ReadTuple(in);
      return change;
    }
    case 'O':
    case 'Y':
    case 'T':
    case 'M':
      return Ignored{kind};
    default:
      throw ProtocolError(std::string("unknown pgoutput message '") + kind + "'");
  }
}

}  // namespace accord::connectors::cdc
