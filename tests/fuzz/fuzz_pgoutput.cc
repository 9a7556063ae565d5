// libFuzzer target: arbitrary bytes as PostgreSQL's replication stream. The
// input is a sequence of pgoutput messages, each preceded by its length (two
// bytes, big-endian), fed to a ChangeStream as XLogData; the whole input is
// also decoded as one CopyData frame. Malformed input may only raise
// cdc::ProtocolError; a committed transaction's changes must each name their
// table and carry every pseudo column.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "connectors/cdc/change_stream.h"

namespace cdc = accord::connectors::cdc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  try {
    (void)cdc::DecodeCopyData(input);
  } catch (const cdc::ProtocolError&) {
  }
  cdc::ChangeStream stream;
  size_t position = 0;
  uint64_t lsn = 0;
  while (size - position >= 2) {
    const size_t length = static_cast<size_t>(data[position]) << 8 | data[position + 1];
    position += 2;
    if (length > size - position) break;
    cdc::XLogData frame{++lsn, lsn, input.substr(position, length)};
    position += length;
    try {
      auto committed = stream.Add(frame);
      if (!committed) continue;
      for (const auto& change : committed->changes) {
        if (change.table.empty()) std::abort();
        for (const char* column : cdc::kPseudoColumns)
          if (!change.columns.count(column)) std::abort();
      }
    } catch (const cdc::ProtocolError&) {
      // The connector stops on a broken stream; a fresh stream starts over.
      stream = cdc::ChangeStream();
    }
  }
  return 0;
}
