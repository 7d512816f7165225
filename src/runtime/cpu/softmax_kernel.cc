// Softmax over contiguous rows (the normalized axis innermost: attention scores, classifier
// logits) with AVX2, float32: a max pass, e^(x - max) stored and summed in one pass (avx2_exp.h,
// relative error ~1e-7; below e^-87, the exponential's own floor, 0), then each
// value times 1 / sum. Rows are independent, split over threads. NaN behaves as in the
// reference (ops/nn/softmax.cc, double precision): the max skips it, its exponential is NaN, so is
// the sum and the whole row; a row whose max is +-inf gives NaN for the same reason. Other layouts
// (a normalized axis with inner elements) stay with oneDNN.
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "core/threads.h"
#include "ops/internal/avx2_exp.h"
#include "ops/nn/softmax.h"
#include "runtime/kernel_table.h"

namespace shrink::runtime {
namespace {

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// e^d for d = x - max <= 0: 0 below -87 (e^-87 = 1.6e-38, the exp's clamp), NaN kept.
inline __m256 exp_shifted(__m256 d) {
  const __m256 e = ops::exp_nonpositive(d);
  const __m256 tiny = _mm256_cmp_ps(d, _mm256_set1_ps(-87.f), _CMP_LT_OQ);
  const __m256 nan = _mm256_cmp_ps(d, d, _CMP_UNORD_Q);
  return _mm256_blendv_ps(_mm256_andnot_ps(tiny, e), d, nan);
}

void softmax_row(const float* x, float* y, int64_t n) {
  // max, skipping NaN as the reference's std::max(m, x) does (max_ps returns its second operand
  // when either is NaN).
  __m256 vm = _mm256_set1_ps(-INFINITY);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) vm = _mm256_max_ps(_mm256_loadu_ps(x + i), vm);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, vm);
  float m = -INFINITY;
  for (float v : lanes) m = std::max(m, v);
  for (; i < n; ++i) m = std::max(m, x[i]);
  const __m256 vmax = _mm256_set1_ps(m);
  __m256 vs = _mm256_setzero_ps();
  for (i = 0; i + 8 <= n; i += 8) {
    const __m256 e = exp_shifted(_mm256_sub_ps(_mm256_loadu_ps(x + i), vmax));
    _mm256_storeu_ps(y + i, e);
    vs = _mm256_add_ps(vs, e);
  }
  float s = hsum(vs);
  if (i < n) {  // the tail through the same vector code
    alignas(32) float t[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int64_t j = i; j < n; ++j) t[j - i] = x[j];
    const __m256 e = exp_shifted(_mm256_sub_ps(_mm256_load_ps(t), vmax));
    _mm256_store_ps(t, e);
    for (int64_t j = i; j < n; ++j) {
      y[j] = t[j - i];
      s += t[j - i];
    }
  }
  const float inv = 1.f / s;  // one rounding more than a division: within the exponential's own error
  const __m256 vinv = _mm256_set1_ps(inv);
  for (i = 0; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(y + i), vinv));
  for (; i < n; ++i) y[i] *= inv;
}

class SoftmaxKernel final : public Kernel {
 public:
  SoftmaxKernel(int64_t rows, int64_t n) : rows_(rows), n_(n) {}
  void run(std::span<const Tensor> in, std::span<Tensor> out) override {
    const float* x = in[0].data<float>();
    float* y = out[0].data<float>();
    parallel_for(rows_, std::max<int64_t>(1, 4096 / n_), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) softmax_row(x + r * n_, y + r * n_, n_);
    });
  }
  std::string_view name() const override { return "cpu:softmax"; }

 private:
  int64_t rows_, n_;
};

std::unique_ptr<Kernel> make_softmax(const ir::Node& node, std::span<const ops::ValueMeta> in) {
  if (in[0].dtype != DType::kFloat32 || numel(in[0].shape) == 0) return nullptr;
  const auto g = ops::softmax_geometry(node.attrs_as<ops::SoftmaxAttrs>(), in[0].shape, node.label());
  if (g.inner != 1 || g.n == 0) return nullptr;
  return std::make_unique<SoftmaxKernel>(g.outer, g.n);
}

}  // namespace

std::vector<KernelEntry> cpu_softmax_kernels() { return {{"", "Softmax", make_softmax}}; }

}  // namespace shrink::runtime
