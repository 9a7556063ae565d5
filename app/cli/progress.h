#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace accord::cli {

// A one-line progress display on standard error, redrawn at most ten times a
// second, and only when standard error is a terminal: logs and pipes get the
// summary alone.
class Progress {
 public:
  // `total_bytes` 0: unknown (no percentage).
  Progress(std::string label, uint64_t total_bytes);
  ~Progress();  // Done()
  void Update(uint64_t bytes, uint64_t records);
  // Clears the line.
  void Done();

 private:
  std::string label_;
  uint64_t total_bytes_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace accord::cli
