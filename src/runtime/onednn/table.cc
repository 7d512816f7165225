// oneDNN kernels, in preference order.
#include "runtime/kernel_table.h"
#include "runtime/onednn/onednn_kernels.h"

namespace shrink::runtime {

std::vector<KernelEntry> onednn_kernels() {
  std::vector<KernelEntry> all;
  for (auto family : {onednn::conv_kernels, onednn::pool_kernels, onednn::block_reorder_kernels, onednn::gemm_kernels, onednn::matmul_kernels,
                      onednn::softmax_kernels, onednn::layer_norm_kernels, onednn::conv_backward_kernels,
                      onednn::pool_backward_kernels, onednn::batch_norm_kernels, onednn::layer_norm_backward_kernels,
                      onednn::qconv_kernels, onednn::qmatmul_kernels})
    for (const auto& e : family()) all.push_back(e);
  return all;
}

}  // namespace shrink::runtime
