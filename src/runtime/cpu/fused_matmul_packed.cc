// com.shrink FusedMatMul on the packed-B GEMM (sgemm_packed.h): the constant weight is packed once
// when the kernel is made; bias, residual and activation are applied in the GEMM's tile epilogue.
// The cpu table comes before the blas one, so this runs these products rather than OpenBLAS's sgemm (see docs/benchmarks.md).
#include "ops/internal/fused_matmul.h"
#include "runtime/cpu/sgemm_packed.h"
#include "runtime/kernel_table.h"

namespace shrink::runtime {
namespace {

class PackedFusedMatMul final : public Kernel {
 public:
  PackedFusedMatMul(const ops::FusedMatMulAttrs& a, int64_t m, const Tensor& w)
      : a_(a), m_(m), b_(w.data<float>(), w.dim(0), w.dim(1), w.dim(1), false) {}
  void run(std::span<const Tensor> in, std::span<Tensor> out) override {
    GemmEpilogue e;
    e.bias = in.size() > 2 && in[2].defined() ? in[2].data<float>() : nullptr;
    e.residual = in.size() > 3 && in[3].defined() ? in[3].data<float>() : nullptr;
    e.ldr = b_.n();
    e.activation = a_.activation;
    e.alpha = a_.alpha;
    e.beta = a_.beta;
    sgemm_packed(m_, in[0].data<float>(), b_.k(), b_, out[0].data<float>(), b_.n(), e);
  }
  std::string_view name() const override { return "cpu:sgemm-packed"; }

 private:
  ops::FusedMatMulAttrs a_;
  int64_t m_;
  PackedB b_;
};

bool is_f32(const ops::ValueMeta& m) { return !m.present() || m.dtype == DType::kFloat32; }

// Rows below which oneDNN's matmul on its pre-reordered weights runs the (matrix-vector) product.
constexpr int64_t kPackedMinRows = 16;

std::unique_ptr<Kernel> make_fused_matmul_packed(const ir::Node& node, std::span<const ops::ValueMeta> in) {
  for (const auto& m : in)
    if (!is_f32(m)) return nullptr;
  if (in[0].shape.empty() || in[1].shape.size() != 2 || !in[1].value) return nullptr;
  const int64_t k = in[0].shape.back(), n = in[1].shape[1];
  if (k != in[1].shape[0] || n == 0 || k == 0) return nullptr;  // inference reports mismatches
  const int64_t m = numel(in[0].shape) / k;
  if (m < kPackedMinRows) return nullptr;
  if (in.size() > 2 && in[2].present() && numel(in[2].shape) != n) return nullptr;
  Shape y = in[0].shape;
  y.back() = n;
  if (in.size() > 3 && in[3].present() && in[3].shape != y) return nullptr;  // broadcasting residual: reference
  return std::make_unique<PackedFusedMatMul>(node.attrs_as<ops::FusedMatMulAttrs>(), m, *in[1].value);
}

}  // namespace

std::vector<KernelEntry> cpu_fused_matmul_kernels() {
  return {{"com.shrink", "FusedMatMul", make_fused_matmul_packed}};
}

}  // namespace shrink::runtime
