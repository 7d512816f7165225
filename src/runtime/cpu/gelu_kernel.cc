// Gelu (exact erf form, float32) on the vectorized evaluation of ops/internal/gelu_erf.h, split over
// the session's threads. fuse_gelu makes these from PyTorch's Div / Erf / Add / Mul / Mul chains when
// no matrix product or convolution takes the Gelu as its activation.
#include "core/threads.h"
#include "ops/internal/gelu_erf.h"
#include "ops/unary/activation.h"
#include "runtime/kernel_table.h"

namespace shrink::runtime {
namespace {

class GeluKernel final : public Kernel {
 public:
  void run(std::span<const Tensor> in, std::span<Tensor> out) override {
    const float* x = in[0].data<float>();
    float* y = out[0].data<float>();
    parallel_for(in[0].numel(), int64_t(1) << 14, [&](int64_t b, int64_t e) { ops::gelu_erf(x + b, y + b, e - b); });
  }
  std::string_view name() const override { return "cpu:gelu"; }
};

std::unique_ptr<Kernel> make_gelu(const ir::Node& node, std::span<const ops::ValueMeta> in) {
  if (in[0].dtype != DType::kFloat32 || node.attrs_as<ops::GeluAttrs>().tanh_approximation) return nullptr;
  return std::make_unique<GeluKernel>();
}

}  // namespace

std::vector<KernelEntry> cpu_gelu_kernels() { return {{"", "Gelu", make_gelu}}; }

}  // namespace shrink::runtime
