// Progress reporting for long commands: on a terminal, one line redrawn in place (throttled to
// ~10 updates/s); otherwise plain lines, at most one every few seconds and at every finish().
#pragma once
#include <chrono>
#include <string>

namespace shrink::cli {

class Progress {
 public:
  Progress();
  // Shows `text` for work `fraction` (0..1) done; appends a bar and the ETA on a terminal.
  void update(const std::string& text, double fraction, double elapsed_s);
  // Ends the current line with `text` (always printed).
  void finish(const std::string& text);
  bool is_terminal() const { return tty_; }

 private:
  bool tty_;
  bool dirty_ = false;
  std::chrono::steady_clock::time_point last_;
};

// "1m05s", "3.2s".
std::string format_duration(double seconds);

}  // namespace shrink::cli
