// Cast int32 -> float32 with AVX2 (the int32 results of MatMulInteger / ConvInteger going back to
// float in dynamically quantized models). vcvtdq2ps rounds to nearest even, as the reference's
// float(int) conversion does: bit-identical. Other type pairs take the reference kernel.
#include <immintrin.h>

#include "core/threads.h"
#include "ops/unary/activation.h"
#include "runtime/kernel_table.h"

namespace shrink::runtime {
namespace {

class CastInt32ToFloat final : public Kernel {
 public:
  void run(std::span<const Tensor> in, std::span<Tensor> out) override {
    const int32_t* x = in[0].data<int32_t>();
    float* y = out[0].data<float>();
    parallel_for(in[0].numel(), int64_t(1) << 15, [&](int64_t b, int64_t e) {
      int64_t i = b;
      for (; i + 8 <= e; i += 8)
        _mm256_storeu_ps(y + i, _mm256_cvtepi32_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i))));
      for (; i < e; ++i) y[i] = float(x[i]);
    });
  }
  std::string_view name() const override { return "cpu:cast-i32-f32"; }
};

std::unique_ptr<Kernel> make_cast(const ir::Node& node, std::span<const ops::ValueMeta> in) {
  if (in.empty() || in[0].dtype != DType::kInt32 || node.attrs_as<ops::CastAttrs>().to != DType::kFloat32) return nullptr;
  return std::make_unique<CastInt32ToFloat>();
}

}  // namespace

std::vector<KernelEntry> cpu_cast_kernels() { return {{"", "Cast", make_cast}}; }

}  // namespace shrink::runtime
