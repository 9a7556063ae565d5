#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/message_lite.h>

#include "domain/fold/state.h"

namespace accord::fold {

// Stored state that cannot be read: the store is corrupt or was written by an
// incompatible version. Never a reason to guess.
class StateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Deterministic encoding, so equal states are equal bytes (the state hash
// depends on it).
inline std::string EncodeState(const google::protobuf::MessageLite& message) {
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  message.SerializeToCodedStream(&coded);
  coded.Trim();
  return out;
}

template <typename T>
T DecodeState(std::string_view bytes, Table table, std::string_view key) {
  T message;
  if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    throw StateError("unreadable value in " + std::string(TableName(table)) + " at key " +
                     std::string(key));
  return message;
}

}  // namespace accord::fold
