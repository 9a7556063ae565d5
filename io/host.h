#pragma once

#include <unistd.h>

#include <string>

namespace accord {

// The machine's host name, "localhost" when it has none: part of the default
// ids that must differ between hosts and stay the same across restarts.
inline std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

}  // namespace accord
