// The calibration observers (minmax, ema, and the histogram ones) and the threshold searches over
// |x| histograms: percentile of mass, TensorRT's KL (entropy) search, least expected squared error.
#include "compress/quant/observers.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"

namespace shrink::compress {
namespace {

struct MinMax {
  float lo = std::numeric_limits<float>::infinity(), hi = -std::numeric_limits<float>::infinity();
  void add(const float* x, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      lo = std::min(lo, x[i]);
      hi = std::max(hi, x[i]);
    }
  }
  bool seen() const { return lo <= hi; }
};

class MinMaxObserver : public Observer {
 public:
  void observe(const float* x, int64_t n) override { m_.add(x, n); }
  Range range() const override { return m_.seen() ? Range{m_.lo, m_.hi} : Range{}; }

 private:
  MinMax m_;
};

// PyTorch's MovingAverageMinMaxObserver: the first batch sets the range, later ones move it.
class EmaObserver : public Observer {
 public:
  explicit EmaObserver(double decay) : decay_(decay) {}
  void observe(const float* x, int64_t n) override {
    MinMax b;
    b.add(x, n);
    if (!b.seen()) return;
    if (!started_) {
      lo_ = b.lo, hi_ = b.hi, started_ = true;
      return;
    }
    lo_ += decay_ * (double(b.lo) - lo_);
    hi_ += decay_ * (double(b.hi) - hi_);
  }
  Range range() const override { return started_ ? Range{float(lo_), float(hi_)} : Range{}; }

 private:
  double decay_, lo_ = 0, hi_ = 0;
  bool started_ = false;
};

enum class Search { kPercentile, kEntropy, kMse };

// Clips the observed [min, max] symmetrically at a threshold chosen from the |x| histogram.
class HistogramObserver : public Observer {
 public:
  HistogramObserver(Search s, const ObserverOptions& o) : search_(s), options_(o), hist_(o.bins) {}
  void observe(const float* x, int64_t n) override {
    m_.add(x, n);
    hist_.add(x, n);
  }
  Range range() const override {
    if (!m_.seen()) return {};
    // The 8-bit levels [0, t] gets: all 256 for a non-negative tensor (asymmetric uint8 / int8),
    // one side's 128 (as TensorRT) for a signed one.
    const int64_t levels = m_.lo >= 0 ? 256 : 128;
    double t = search_ == Search::kPercentile ? percentile_threshold(hist_, options_.percentile)
               : search_ == Search::kEntropy  ? entropy_threshold(hist_, levels)
                                              : mse_threshold(hist_, levels);
    return {std::max(m_.lo, float(-t)), std::min(m_.hi, float(t))};
  }

 private:
  Search search_;
  ObserverOptions options_;
  AbsHistogram hist_;
  MinMax m_;
};

template <Search S>
std::unique_ptr<Observer> make_histogram(const ObserverOptions& o) {
  return std::make_unique<HistogramObserver>(S, o);
}

const std::vector<ObserverMethod> kMethods = {
    {"minmax", "the observed minimum and maximum", [](const ObserverOptions&) -> std::unique_ptr<Observer> {
       return std::make_unique<MinMaxObserver>();
     }},
    {"ema", "moving average of each batch's min and max (PyTorch's MovingAverageMinMax)",
     [](const ObserverOptions& o) -> std::unique_ptr<Observer> { return std::make_unique<EmaObserver>(o.ema_decay); }},
    {"percentile", "clip |x| at a percentile of its histogram (99.99)", make_histogram<Search::kPercentile>},
    {"entropy", "clip |x| where the KL divergence of the quantized histogram is least (TensorRT)",
     make_histogram<Search::kEntropy>},
    {"mse", "clip |x| where the expected squared quantization + clipping error is least", make_histogram<Search::kMse>},
};

}  // namespace

const std::vector<ObserverMethod>& observer_methods() { return kMethods; }

std::string observer_names() {
  std::string s;
  for (const auto& m : kMethods) s += (s.empty() ? "" : "|") + std::string(m.name);
  return s;
}

std::unique_ptr<Observer> make_observer(const std::string& method, const ObserverOptions& options) {
  for (const auto& m : kMethods)
    if (method == m.name) return m.make(options);
  fail_input("unknown calibration method '", method, "' (known: ", observer_names(), ")");
}

void AbsHistogram::add(const float* x, int64_t n) {
  float amax = 0;
  for (int64_t i = 0; i < n; ++i) amax = std::max(amax, std::fabs(x[i]));
  if (double(amax) > limit_) widen(limit_ == 0 ? double(amax) : std::max(double(amax), 2 * limit_));
  const int64_t bins = int64_t(counts_.size());
  if (limit_ == 0) {
    counts_[0] += double(n);
    zeros_ += double(n);
    return;
  }
  const double inv = double(bins) / limit_;
  for (int64_t i = 0; i < n; ++i) {
    counts_[size_t(std::min(bins - 1, int64_t(std::fabs(x[i]) * inv)))] += 1;
    zeros_ += x[i] == 0.f;
  }
}

void AbsHistogram::widen(double new_limit) {
  std::vector<double> old(counts_.size(), 0.0);
  old.swap(counts_);
  const int64_t bins = int64_t(counts_.size());
  const double old_w = limit_ / double(bins), inv = double(bins) / new_limit;
  for (int64_t k = 0; k < bins; ++k)
    if (old[size_t(k)] != 0)
      counts_[size_t(std::min(bins - 1, int64_t((double(k) + 0.5) * old_w * inv)))] += old[size_t(k)];
  limit_ = new_limit;
}

double percentile_threshold(const AbsHistogram& h, double percentile) {
  const auto& c = h.counts();
  double total = 0;
  for (double v : c) total += v;
  if (total == 0 || h.limit() == 0) return 0;
  const double target = total * std::clamp(percentile, 0.0, 100.0) / 100.0;
  double cum = 0;
  for (size_t k = 0; k < c.size(); ++k) {
    cum += c[k];
    if (cum >= target) return double(k + 1) * h.bin_width();
  }
  return h.limit();
}

double entropy_threshold(const AbsHistogram& h, int64_t levels) {
  // A spike in bin 0 makes the KL search clip the tail far too hard: Q spreads each group's mass
  // evenly over the group's bins, so the spike reads as badly quantized, and only a smaller
  // threshold (a narrower first group) lessens that. Yet bin 0 is at most one step wide for every
  // candidate (i >= levels) and 0 is exact on the grid: what it holds costs little. So exact zeros
  // are left out (ReLU outputs; pytorch-quantization's skip_zeros) and the rest of bin 0 is capped
  // at bin 1's count (its search sets bins[0] = bins[1]). Softmax outputs are mostly values near,
  // not at, 0: uncapped, the search clipped attention probabilities at 0.25 (transformer top-1 90.5%
  // -> 75%).
  std::vector<double> hist = h.counts();
  hist[0] -= h.zeros();
  if (hist.size() > 1) hist[0] = std::min(hist[0], hist[1]);
  const int64_t bins = int64_t(hist.size());
  if (h.limit() == 0 || bins <= levels) return h.limit();
  std::vector<double> suffix(size_t(bins) + 1, 0.0);
  for (int64_t k = bins - 1; k >= 0; --k) suffix[size_t(k)] = suffix[size_t(k) + 1] + hist[size_t(k)];
  if (suffix[0] == 0) return 0;
  double best = std::numeric_limits<double>::infinity();
  int64_t best_i = bins;
  std::vector<double> q(static_cast<size_t>(bins), 0.0);
  for (int64_t i = levels; i <= bins; ++i) {
    // P: the first i bins with the clipped mass folded into the last; Q: the first i bins merged
    // into `levels` groups, each group's mass spread evenly over its non-empty bins.
    const double p_total = suffix[0];
    const int64_t per = i / levels;
    double q_total = 0;
    for (int64_t j = 0; j < levels; ++j) {
      const int64_t b = j * per, e = j == levels - 1 ? i : b + per;
      double sum = 0;
      int64_t nonzero = 0;
      for (int64_t k = b; k < e; ++k)
        if (hist[size_t(k)] != 0) sum += hist[size_t(k)], ++nonzero;
      for (int64_t k = b; k < e; ++k) q[size_t(k)] = hist[size_t(k)] != 0 ? sum / double(nonzero) : 0;
      q_total += sum;
    }
    double kl = 0;
    for (int64_t k = 0; k < i; ++k) {
      const double p = (k == i - 1 ? hist[size_t(k)] + suffix[size_t(i)] : hist[size_t(k)]) / p_total;
      if (p == 0) continue;
      const double qk = std::max(q[size_t(k)] / q_total, 1e-12);
      kl += p * std::log(p / qk);
    }
    if (kl < best) best = kl, best_i = i;
  }
  return double(best_i) * h.bin_width();
}

double mse_threshold(const AbsHistogram& h, int64_t levels) {
  const auto& hist = h.counts();
  const int64_t bins = int64_t(hist.size());
  if (h.limit() == 0) return 0;
  const double w = h.bin_width();
  double best = std::numeric_limits<double>::infinity();
  int64_t best_i = bins;
  for (int64_t i = 1; i <= bins; ++i) {
    const double t = double(i) * w, step = t / double(levels);
    double err = 0;
    for (int64_t k = 0; k < bins; ++k) {
      if (hist[size_t(k)] == 0) continue;
      const double c = (double(k) + 0.5) * w;
      err += hist[size_t(k)] * (c > t ? (c - t) * (c - t) : step * step / 12);
    }
    if (err < best) best = err, best_i = i;
  }
  return double(best_i) * w;
}

}  // namespace shrink::compress
