#pragma once

#include <map>
#include <string>

namespace accord::kafka {

// The `kafka` section of the configuration: where the cluster is and how to
// talk to it.
struct Config {
  std::string bootstrap_servers = "127.0.0.1:9092";
  // Topics are "<topic_prefix>.events", ".campaigns", ".feedback", ".deadletter".
  std::string topic_prefix = "accord";
  // Passed through to librdkafka verbatim (security.protocol, sasl.*, ssl.*).
  std::map<std::string, std::string> properties;
  // How long a command waits for the cluster to answer before giving up.
  int connect_timeout_ms = 10000;
};

}  // namespace accord::kafka
