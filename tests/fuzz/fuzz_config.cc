// libFuzzer target: arbitrary bytes as the YAML configuration file. Load may
// refuse the file only with ConfigError (which names file and line);
// any other exception escaping is a bug and aborts the run.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "app/config/config.h"

namespace {

namespace config = accord::config;

std::string& ConfigPath() {
  static std::string path;
  return path;
}

void RemoveConfigFile() {
  ::unlink(ConfigPath().c_str());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* dir = std::getenv("TMPDIR");
  std::string path = std::string(dir && *dir ? dir : "/tmp") + "/fuzz_config_XXXXXX";
  int fd = ::mkstemp(path.data());
  if (fd < 0) {
    std::perror("fuzz_config: mkstemp");
    std::abort();
  }
  ::close(fd);
  ConfigPath() = path;
  std::atexit(RemoveConfigFile);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  {
    std::ofstream out(ConfigPath(), std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    if (!out) std::abort();
  }
  // No environment overrides: the file alone decides.
  const config::Environment no_environment;
  try {
    config::AppConfig loaded = config::Load(ConfigPath(), no_environment);
    if (loaded.kafka.bootstrap_servers.empty() || loaded.kafka.topic_prefix.empty()) std::abort();
  } catch (const accord::ConfigError& e) {
    if (std::string(e.what()).empty()) std::abort();
  }
  return 0;
}
