// Add, Sub, Mul, Div on float32 with AVX2 when one operand repeats along the other's trailing
// dims (same shape, a scalar, or a bias row over [..., N]): the rescale Muls after int8 products,
// residual and bias Adds, attention's scaling Div. Bit-identical to the reference kernels: the same
// single float32 operation on the same operand pair, operand order kept. Other broadcasts (inner
// dims of 1, both operands expanded) take the reference kernel.
#include <immintrin.h>

#include "core/threads.h"
#include "runtime/kernel_table.h"

namespace shrink::runtime {
namespace {

enum class BinaryOp { kAdd, kSub, kMul, kDiv };

template <BinaryOp kOp>
inline __m256 apply(__m256 a, __m256 b) {
  if constexpr (kOp == BinaryOp::kAdd) return _mm256_add_ps(a, b);
  else if constexpr (kOp == BinaryOp::kSub) return _mm256_sub_ps(a, b);
  else if constexpr (kOp == BinaryOp::kMul) return _mm256_mul_ps(a, b);
  else return _mm256_div_ps(a, b);
}
template <BinaryOp kOp>
inline float apply(float a, float b) {
  if constexpr (kOp == BinaryOp::kAdd) return a + b;
  else if constexpr (kOp == BinaryOp::kSub) return a - b;
  else if constexpr (kOp == BinaryOp::kMul) return a * b;
  else return a / b;
}

// y[i] = a[i % a_period] op b[i % b_period] over n elements; each period is n, or divides n
// (the repeating operand).
template <BinaryOp kOp>
class FloatBinaryKernel final : public Kernel {
 public:
  explicit FloatBinaryKernel(std::string_view name) : name_(name) {}
  void run(std::span<const Tensor> in, std::span<Tensor> out) override {
    const float* a = in[0].data<float>();
    const float* b = in[1].data<float>();
    float* y = out[0].data<float>();
    const int64_t n = out[0].numel(), na = in[0].numel(), nb = in[1].numel();
    if (na == n && nb == n) {  // same shape: any split will do
      parallel_for(n, int64_t(1) << 15, [&](int64_t b0, int64_t e) { row(a + b0, b + b0, y + b0, e - b0); });
      return;
    }
    const int64_t period = std::min(na, nb);  // the repeating operand's length
    if (period == 0) return;
    // Threads take whole periods so that each row meets the repeating operand from its start.
    const int64_t rows = n / period, grain = std::max<int64_t>(1, (int64_t(1) << 15) / period);
    parallel_for(rows, grain, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const float* pa = na == n ? a + r * period : a;
        const float* pb = nb == n ? b + r * period : b;
        row(pa, pb, y + r * period, period);
      }
    });
  }
  std::string_view name() const override { return name_; }

 private:
  static void row(const float* a, const float* b, float* y, int64_t len) {
    int64_t i = 0;
    for (; i + 8 <= len; i += 8) _mm256_storeu_ps(y + i, apply<kOp>(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
    for (; i < len; ++i) y[i] = apply<kOp>(a[i], b[i]);
  }
  std::string_view name_;
};

// A scalar operand is broadcast to a row of 8 so that the row loop above serves it too.
template <BinaryOp kOp>
class FloatScalarKernel final : public Kernel {
 public:
  FloatScalarKernel(bool scalar_first, std::string_view name) : scalar_first_(scalar_first), name_(name) {}
  void run(std::span<const Tensor> in, std::span<Tensor> out) override {
    const float s = in[scalar_first_ ? 0 : 1].data<float>()[0];
    const float* x = in[scalar_first_ ? 1 : 0].data<float>();
    float* y = out[0].data<float>();
    parallel_for(out[0].numel(), int64_t(1) << 15, [&](int64_t b, int64_t e) {
      const __m256 vs = _mm256_set1_ps(s);
      int64_t i = b;
      for (; i + 8 <= e; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        _mm256_storeu_ps(y + i, scalar_first_ ? apply<kOp>(vs, v) : apply<kOp>(v, vs));
      }
      for (; i < e; ++i) y[i] = scalar_first_ ? apply<kOp>(s, x[i]) : apply<kOp>(x[i], s);
    });
  }
  std::string_view name() const override { return name_; }

 private:
  bool scalar_first_;
  std::string_view name_;
};

// `small` (leading 1s dropped) equals the trailing dims of `big`.
bool is_suffix(const Shape& small, const Shape& big) {
  size_t lead = 0;
  while (lead < small.size() && small[lead] == 1) ++lead;
  const size_t len = small.size() - lead;
  if (len > big.size()) return false;  // (more leading 1s than big has dims: the same elements)
  for (size_t i = 0; i < len; ++i)
    if (small[lead + i] != big[big.size() - len + i]) return false;
  return true;
}

template <BinaryOp kOp>
std::unique_ptr<Kernel> make(const ir::Node& node, std::span<const ops::ValueMeta> in, std::string_view name) {
  if (in.size() != 2 || in[0].dtype != DType::kFloat32 || in[1].dtype != DType::kFloat32) return nullptr;
  const Shape &sa = in[0].shape, &sb = in[1].shape;
  const int64_t na = numel(sa), nb = numel(sb);
  if (na == 0 || nb == 0) return nullptr;
  // (A scalar or repeated operand of higher rank only adds leading 1s to the output's shape.)
  if (nb == 1) return std::make_unique<FloatScalarKernel<kOp>>(false, name);
  if (na == 1) return std::make_unique<FloatScalarKernel<kOp>>(true, name);
  if (sa == sb || is_suffix(sb, sa) || is_suffix(sa, sb)) return std::make_unique<FloatBinaryKernel<kOp>>(name);
  return nullptr;
}

}  // namespace

std::vector<KernelEntry> cpu_float_binary_kernels() {
  return {{"", "Add", [](const ir::Node& n, std::span<const ops::ValueMeta> in) { return make<BinaryOp::kAdd>(n, in, "cpu:add"); }},
          {"", "Sub", [](const ir::Node& n, std::span<const ops::ValueMeta> in) { return make<BinaryOp::kSub>(n, in, "cpu:sub"); }},
          {"", "Mul", [](const ir::Node& n, std::span<const ops::ValueMeta> in) { return make<BinaryOp::kMul>(n, in, "cpu:mul"); }},
          {"", "Div", [](const ir::Node& n, std::span<const ops::ValueMeta> in) { return make<BinaryOp::kDiv>(n, in, "cpu:div"); }}};
}

}  // namespace shrink::runtime
