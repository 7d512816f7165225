// Calibration observers on distributions shaped like real activations: the entropy (KL) threshold on
// attention probabilities (softmax rows, most mass near 0, a sparse tail up to 1) must not clip the
// tail so hard that the quantization error dwarfs the other observers'.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "compress/quant/observers.h"
#include "compress/quant/quant_params.h"
#include "core/rng.h"

namespace shrink {
namespace {

// Softmax over rows of `width` logits N(0, 1) * a temperature drawn from [0, 8]: from flat rows
// (every value near 1 / width) to peaked ones (one value near 1), as attention probabilities.
std::vector<float> softmax_rows(int64_t rows, int64_t width, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> v(size_t(rows * width));
  for (int64_t r = 0; r < rows; ++r) {
    float* row = v.data() + r * width;
    const double temp = 8 * rng.uniform();
    double mx = -INFINITY, sum = 0;
    for (int64_t k = 0; k < width; ++k) row[k] = float(temp * rng.normal()), mx = std::max(mx, double(row[k]));
    for (int64_t k = 0; k < width; ++k) sum += (row[k] = float(std::exp(row[k] - mx)));
    for (int64_t k = 0; k < width; ++k) row[k] = float(row[k] / sum);
  }
  return v;
}

// Mean squared error of uint8 quantize-dequantize over `r` (as the static quantizer does).
double quant_mse(const std::vector<float>& v, compress::Range r) {
  const compress::QuantParams p = compress::activation_params(r, DType::kUInt8);
  double err = 0;
  for (float x : v) {
    const double q = std::clamp(std::nearbyint(double(x) / p.scale) + p.zero_point, 0.0, 255.0);
    const double d = double(x) - (q - p.zero_point) * p.scale;
    err += d * d;
  }
  return err / double(v.size());
}

compress::Range calibrate(const char* method, const std::vector<float>& v, int64_t batch) {
  auto o = compress::make_observer(method);
  for (int64_t b = 0; b < int64_t(v.size()); b += batch) o->observe(v.data() + b, std::min(batch, int64_t(v.size()) - b));
  return o->range();
}

TEST(CompressQuantObservers, EntropyKeepsTheSoftmaxTail) {
  const std::vector<float> v = softmax_rows(8192, 32, 3);
  double best_other = INFINITY;
  for (const char* m : {"minmax", "percentile", "mse"}) best_other = std::min(best_other, quant_mse(v, calibrate(m, v, 32 * 256)));
  const compress::Range r = calibrate("entropy", v, 32 * 256);
  const double err = quant_mse(v, r);
  std::printf("[observer entropy] softmax rows: range [%.4g, %.4g], mse %.3g (best of minmax / percentile / mse %.3g)\n",
              r.lo, r.hi, err, best_other);
  // Clipping the peaks of peaked rows (the defect: a threshold of 0.25 for values up to 1) costs
  // orders of magnitude more than the rounding noise the other observers leave.
  EXPECT_LT(err, 4 * best_other);
  EXPECT_GT(r.hi, 0.5f);
}

// Near-zero values (not exact zeros) are as many as all the others: the threshold must stay where
// it is without them, on a signed tensor (128 levels a side) as on a non-negative one (256).
TEST(CompressQuantObservers, EntropyIgnoresANearZeroSpike) {
  for (const bool signed_values : {true, false}) {
    Rng rng(5);
    std::vector<float> v(100000);
    for (auto& x : v) x = float(rng.normal()), x = signed_values ? x : std::fabs(x);
    const compress::Range plain = calibrate("entropy", v, 10000);
    for (size_t k = 0; k < 100000; ++k) v.push_back((k % 2 && signed_values ? -1e-6f : 1e-6f) * float(rng.uniform()));
    const compress::Range spiked = calibrate("entropy", v, 20000);
    std::printf("[observer entropy] N(0,1)%s: range [%.3f, %.3f]; with as many values within 1e-6 of 0: [%.3f, %.3f]\n",
                signed_values ? "" : " folded", plain.lo, plain.hi, spiked.lo, spiked.hi);
    EXPECT_GT(spiked.hi, 0.8f * plain.hi) << signed_values;
    if (signed_values) EXPECT_LT(spiked.lo, 0.8f * plain.lo);
  }
}

}  // namespace
}  // namespace shrink
