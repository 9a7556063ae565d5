#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace accord::bench {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration duration);

// Nearest-rank percentile (0 < p <= 100) of the values; 0 when empty.
double Percentile(std::vector<double> values, double p);

// Peak resident set size of this process. ResetPeakRss() starts a new peak
// (Linux >= 4.0: "5" to /proc/self/clear_refs), so that the peak read after a
// phase belongs to that phase; false when the kernel does not allow it (the
// peak is then the process's peak so far).
bool ResetPeakRss();
// VmHWM from /proc/self/status in bytes, or getrusage's ru_maxrss when that
// cannot be read.
uint64_t PeakRssBytes();

// User + system CPU time this process has used.
Clock::duration CpuTime();

// Bytes of the files under `path`.
uint64_t DirectoryBytes(const std::string& path);

// "1.23 MB", "456 kB".
std::string FormatBytes(uint64_t bytes);
// 1234567 -> "1,234,567".
std::string FormatCount(double value);

}  // namespace accord::bench
