// The "cpu" backend's table: shrink's own OpenMP / AVX2 kernels, one family per file.
#include "runtime/kernel_table.h"

namespace shrink::runtime {

std::vector<KernelEntry> cpu_batch_norm_kernels();  // batch_norm_kernels.cc: BatchNorm training forward/backward
std::vector<KernelEntry> cpu_quant_kernels();       // quant_kernels.cc: QuantizeLinear / DequantizeLinear
std::vector<KernelEntry> cpu_qadd_kernels();        // qadd_kernel.cc: com.shrink QAdd
std::vector<KernelEntry> cpu_fused_matmul_kernels();  // fused_matmul_packed.cc: com.shrink FusedMatMul
std::vector<KernelEntry> cpu_gelu_kernels();          // gelu_kernel.cc: Gelu (exact form)
std::vector<KernelEntry> cpu_qmatmul_kernels();       // qmatmul_kernel.cc: com.shrink QMatMul on qgemm_avx2
std::vector<KernelEntry> cpu_dynamic_quantize_kernels();  // dynamic_quantize_kernel.cc: DynamicQuantizeLinear
std::vector<KernelEntry> cpu_matmul_integer_kernels();    // matmul_integer_kernel.cc: MatMulInteger on sgemm
std::vector<KernelEntry> cpu_matmul_integer_scaled_kernels();  // matmul_integer_scaled_kernel.cc: com.shrink MatMulIntegerScaled
std::vector<KernelEntry> cpu_qconv_depthwise_kernels();   // qconv_depthwise_kernel.cc: depthwise NhwcQConv
std::vector<KernelEntry> cpu_float_binary_kernels();      // float_binary_kernels.cc: Add / Sub / Mul / Div, float32
std::vector<KernelEntry> cpu_transpose_kernels();         // transpose_kernel.cc: Transpose as run copies / tiles / views
std::vector<KernelEntry> cpu_softmax_kernels();           // softmax_kernel.cc: Softmax over contiguous rows
std::vector<KernelEntry> cpu_cast_kernels();              // cast_kernel.cc: Cast int32 -> float32

std::vector<KernelEntry> cpu_kernels() {
  std::vector<KernelEntry> v;
  for (auto family : {cpu_batch_norm_kernels, cpu_quant_kernels, cpu_qadd_kernels, cpu_fused_matmul_kernels,
                      cpu_gelu_kernels, cpu_qmatmul_kernels, cpu_dynamic_quantize_kernels,
                      cpu_matmul_integer_kernels, cpu_matmul_integer_scaled_kernels, cpu_qconv_depthwise_kernels, cpu_float_binary_kernels,
                      cpu_cast_kernels, cpu_transpose_kernels, cpu_softmax_kernels})
    for (auto& e : family()) v.push_back(e);
  return v;
}

}  // namespace shrink::runtime
