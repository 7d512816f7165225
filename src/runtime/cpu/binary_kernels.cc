// Add, Sub, Mul, Div on float32 for the broadcasts that dominate real graphs: equal shapes, a scalar
// operand, and a row ([N] against [..., N]), vectorized with AVX2 and split over the session's
// threads. Each element is the one IEEE operation the reference computes, so results are identical;
// other broadcasts fall through to the reference kernel.
#include <immintrin.h>

#include "core/threads.h"
#include "runtime/kernel_table.h"

namespace shrink::runtime {
namespace {

enum class Op { kAdd, kSub, kMul, kDiv };

template <Op op>
inline __m256 apply8(__m256 a, __m256 b) {
  if constexpr (op == Op::kAdd) return _mm256_add_ps(a, b);
  if constexpr (op == Op::kSub) return _mm256_sub_ps(a, b);
  if constexpr (op == Op::kMul) return _mm256_mul_ps(a, b);
  return _mm256_div_ps(a, b);
}

template <Op op>
inline float apply1(float a, float b) {
  if constexpr (op == Op::kAdd) return a + b;
  if constexpr (op == Op::kSub) return a - b;
  if constexpr (op == Op::kMul) return a * b;
  return a / b;
}

// How the operands line up with the output: the same elements, a scalar, or a repeated row.
enum class Form { kSame, kScalarA, kScalarB, kRowA, kRowB };

// y[i] = a[i] op b[i] over [0, n), with a (or b) advancing only when its stride is 1.
template <Op op>
void run_span(const float* a, int64_t sa, const float* b, int64_t sb, float* y, int64_t n) {
  int64_t i = 0;
  if (sa == 1 && sb == 1) {
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, apply8<op>(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
  } else if (sa == 0) {
    const __m256 va = _mm256_set1_ps(a[0]);
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, apply8<op>(va, _mm256_loadu_ps(b + i)));
  } else {
    const __m256 vb = _mm256_set1_ps(b[0]);
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, apply8<op>(_mm256_loadu_ps(a + i), vb));
  }
  for (; i < n; ++i) y[i] = apply1<op>(a[i * sa], b[i * sb]);
}

template <Op op>
class BinaryKernel final : public Kernel {
 public:
  BinaryKernel(Form form, int64_t n, int64_t row) : form_(form), n_(n), row_(row) {}
  void run(std::span<const Tensor> in, std::span<Tensor> out) override {
    const float *a = in[0].data<float>(), *b = in[1].data<float>();
    float* y = out[0].data<float>();
    constexpr int64_t kGrain = 1 << 14;
    switch (form_) {
      case Form::kSame:
        return parallel_for(n_, kGrain, [&](int64_t s, int64_t e) { run_span<op>(a + s, 1, b + s, 1, y + s, e - s); });
      case Form::kScalarA:
        return parallel_for(n_, kGrain, [&](int64_t s, int64_t e) { run_span<op>(a, 0, b + s, 1, y + s, e - s); });
      case Form::kScalarB:
        return parallel_for(n_, kGrain, [&](int64_t s, int64_t e) { run_span<op>(a + s, 1, b, 0, y + s, e - s); });
      case Form::kRowA:
      case Form::kRowB: {
        const bool row_a = form_ == Form::kRowA;
        parallel_for(n_ / row_, std::max<int64_t>(1, kGrain / row_), [&](int64_t s, int64_t e) {
          for (int64_t r = s; r < e; ++r) {
            const int64_t o = r * row_;
            run_span<op>(row_a ? a : a + o, 1, row_a ? b + o : b, 1, y + o, row_);
          }
        });
        return;
      }
    }
  }
  std::string_view name() const override { return "cpu:binary"; }

 private:
  Form form_;
  int64_t n_, row_;
};

// True when `small` is a row of `big`: numel equal to big's last dimension, all its other dims 1.
bool is_row_of(const Shape& small, const Shape& big) {
  if (big.empty() || small.empty() || small.back() != big.back()) return false;
  return numel(small) == big.back();
}

template <Op op>
std::unique_ptr<Kernel> make(const ir::Node&, std::span<const ops::ValueMeta> in) {
  if (in.size() != 2 || in[0].dtype != DType::kFloat32 || in[1].dtype != DType::kFloat32) return nullptr;
  const Shape &sa = in[0].shape, &sb = in[1].shape;
  const int64_t na = numel(sa), nb = numel(sb);
  Form form;
  int64_t n = 0, row = 0;
  // (A scalar or a row may have more leading 1s than the other operand: the output's elements are
  // the other operand's all the same, in the same order.)
  if (sa == sb) form = Form::kSame, n = na;
  else if (nb == 1) form = Form::kScalarB, n = na;
  else if (na == 1) form = Form::kScalarA, n = nb;
  else if (is_row_of(sb, sa)) form = Form::kRowB, n = na, row = sa.back();
  else if (is_row_of(sa, sb)) form = Form::kRowA, n = nb, row = sb.back();
  else return nullptr;
  if (n == 0) return nullptr;
  return std::make_unique<BinaryKernel<op>>(form, n, row);
}

}  // namespace

std::vector<KernelEntry> cpu_binary_kernels() {
  return {{"", "Add", make<Op::kAdd>}, {"", "Sub", make<Op::kSub>}, {"", "Mul", make<Op::kMul>}, {"", "Div", make<Op::kDiv>}};
}

}  // namespace shrink::runtime
