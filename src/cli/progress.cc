// Progress: carriage-return redraws on a TTY, throttled plain lines elsewhere.
#include "cli/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>

namespace shrink::cli {

Progress::Progress() : tty_(isatty(fileno(stderr)) != 0), last_(std::chrono::steady_clock::now()) {}

std::string format_duration(double s) {
  char buf[32];
  if (!std::isfinite(s) || s < 0) return "?";
  if (s < 60) std::snprintf(buf, sizeof buf, "%.1fs", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%dm%02ds", int(s) / 60, int(s) % 60);
  else std::snprintf(buf, sizeof buf, "%dh%02dm", int(s) / 3600, int(s) % 3600 / 60);
  return buf;
}

void Progress::update(const std::string& text, double fraction, double elapsed_s) {
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_).count();
  if (since < (tty_ ? 0.1 : 5.0)) return;
  last_ = now;
  const double eta = fraction > 0 ? elapsed_s * (1 - fraction) / fraction : NAN;
  if (tty_) {
    constexpr int kWidth = 20;
    const int filled = int(std::lround(std::min(1.0, std::max(0.0, fraction)) * kWidth));
    std::string bar = "[" + std::string(size_t(filled), '#') + std::string(size_t(kWidth - filled), '.') + "]";
    std::fprintf(stderr, "\r\033[K%s %s ETA %s", bar.c_str(), text.c_str(), format_duration(eta).c_str());
    dirty_ = true;
  } else {
    std::fprintf(stderr, "%s (ETA %s)\n", text.c_str(), format_duration(eta).c_str());
  }
  std::fflush(stderr);
}

void Progress::finish(const std::string& text) {
  if (tty_ && dirty_) std::fprintf(stderr, "\r\033[K");
  dirty_ = false;
  std::fprintf(stderr, "%s\n", text.c_str());
  std::fflush(stderr);
}

}  // namespace shrink::cli
