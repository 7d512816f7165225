// Calibration observers: each watches the values one tensor takes over the calibration batches
// (streaming, a bounded histogram at most) and proposes the float range [lo, hi] to quantize it to.
// One table (observer_methods) lists them: minmax, ema, percentile, entropy, mse.
//   auto obs = make_observer("entropy");  obs->observe(x, n);  Range r = obs->range();
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace shrink::compress {

struct Range {
  float lo = 0, hi = 0;
};

struct ObserverOptions {
  double percentile = 99.99;  // percentile: the share of |x| kept inside the range
  int64_t bins = 2048;        // histogram observers
  double ema_decay = 0.01;    // ema: weight of each new batch's min/max
};

class Observer {
 public:
  virtual ~Observer() = default;
  // One batch of finite values.
  virtual void observe(const float* x, int64_t n) = 0;
  // The range to quantize to; [0, 0] when nothing (or only zeros) was seen.
  virtual Range range() const = 0;
};

struct ObserverMethod {
  const char* name;
  const char* summary;
  std::unique_ptr<Observer> (*make)(const ObserverOptions&);
};

// The table of calibration methods, in documentation order.
const std::vector<ObserverMethod>& observer_methods();
// Names joined by '|' (for --help and error messages).
std::string observer_names();
// Fails (bad input) on an unknown method, listing the known ones.
std::unique_ptr<Observer> make_observer(const std::string& method, const ObserverOptions& options = {});

// Histogram of |x| over [0, limit) with `bins` bins that widens (re-binning what it holds) when a
// batch goes beyond limit; the histogram observers choose a clipping threshold from it.
class AbsHistogram {
 public:
  explicit AbsHistogram(int64_t bins) : counts_(size_t(bins), 0.0) {}
  void add(const float* x, int64_t n);
  const std::vector<double>& counts() const { return counts_; }
  // How many of the values in bin 0 were exactly zero (ReLU outputs: often most of them).
  double zeros() const { return zeros_; }
  double limit() const { return limit_; }
  double bin_width() const { return limit_ / double(counts_.size()); }

 private:
  void widen(double new_limit);
  std::vector<double> counts_;
  double limit_ = 0;
  double zeros_ = 0;
};

// Thresholds (in |x| units) over a histogram: the percentile of mass, the KL-optimal threshold
// for `levels` quantization levels (TensorRT's entropy calibration), and the MSE-optimal one.
double percentile_threshold(const AbsHistogram& h, double percentile);
double entropy_threshold(const AbsHistogram& h, int64_t levels);
double mse_threshold(const AbsHistogram& h, int64_t levels);

}  // namespace shrink::compress
