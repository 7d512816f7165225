// The "cpu" backend's table: shrink's own OpenMP / AVX2 kernels, one family per file.
#include "runtime/kernel_table.h"

namespace shrink::runtime {

std::vector<KernelEntry> cpu_batch_norm_kernels();  // batch_norm_kernels.cc: BatchNorm training forward/backward
std::vector<KernelEntry> cpu_quant_kernels();       // quant_kernels.cc: QuantizeLinear / DequantizeLinear
std::vector<KernelEntry> cpu_qadd_kernels();        // qadd_kernel.cc: com.shrink QAdd
std::vector<KernelEntry> cpu_qconv_depthwise_kernels();  // qconv_depthwise_kernel.cc: depthwise NhwcQConv

std::vector<KernelEntry> cpu_kernels() {
  std::vector<KernelEntry> v;
  for (auto family : {cpu_batch_norm_kernels, cpu_quant_kernels, cpu_qadd_kernels, cpu_qconv_depthwise_kernels})
    for (auto& e : family()) v.push_back(e);
  return v;
}

}  // namespace shrink::runtime
