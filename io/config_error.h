#pragma once

#include <stdexcept>

namespace accord {

// A configuration problem; the message names the file, line or variable, the
// key and the reason. Thrown by the configuration loader and by the I/O layer
// where it parses settings of its own (listen addresses, Kafka properties).
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace accord
