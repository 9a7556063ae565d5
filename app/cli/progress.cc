#include "app/cli/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace accord::cli {

Progress::Progress(std::string label, uint64_t total_bytes)
    : label_(std::move(label)),
      total_bytes_(total_bytes),
      enabled_(isatty(STDERR_FILENO) == 1),
      started_(std::chrono::steady_clock::now()) {}

Progress::~Progress() {
  Done();
}

void Progress::Update(uint64_t bytes, uint64_t records) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  drawn_ = true;
  const double seconds = std::chrono::duration<double>(now - started_).count();
  const double rate = seconds > 0 ? static_cast<double>(records) / seconds : 0;
  if (total_bytes_ > 0) {
    constexpr int kWidth = 30;
    const double fraction =
        std::min(1.0, static_cast<double>(bytes) / static_cast<double>(total_bytes_));
    const int filled = static_cast<int>(fraction * kWidth);
    std::fprintf(stderr, "\r%s [%.*s%*s] %3.0f%%  %llu records  %.0f/s ", label_.c_str(), filled,
                 "##############################", kWidth - filled, "", fraction * 100,
                 static_cast<unsigned long long>(records), rate);
  } else {
    std::fprintf(stderr, "\r%s %llu records  %.0f/s ", label_.c_str(),
                 static_cast<unsigned long long>(records), rate);
  }
  std::fflush(stderr);
}

void Progress::Done() {
  if (!enabled_ || !drawn_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace accord::cli
