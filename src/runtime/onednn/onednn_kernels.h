// Kernel lists of the oneDNN backend, one function per op family; table.cc orders them.
#pragma once
#include <vector>

#include "runtime/kernel.h"

namespace shrink::runtime::onednn {

std::vector<KernelEntry> matmul_kernels();  // MatMul
std::vector<KernelEntry> gemm_kernels();    // Gemm
std::vector<KernelEntry> softmax_kernels();  // Softmax, LogSoftmax
std::vector<KernelEntry> layer_norm_kernels();  // LayerNormalization
std::vector<KernelEntry> conv_kernels();    // Conv, com.shrink FusedConv
std::vector<KernelEntry> pool_kernels();    // MaxPool, AveragePool, com.shrink BlockedMaxPool/AveragePool
std::vector<KernelEntry> block_reorder_kernels();  // com.shrink ToBlocked, FromBlocked
// Training: com.shrink gradient ops and BatchNormalization with training_mode=1.
std::vector<KernelEntry> conv_backward_kernels();  // ConvGradInput, ConvGradWeight
std::vector<KernelEntry> pool_backward_kernels();  // AveragePoolGrad
std::vector<KernelEntry> batch_norm_kernels();     // BatchNormalization (training), BatchNormTrainGrad
std::vector<KernelEntry> layer_norm_backward_kernels();  // LayerNormGrad
std::vector<KernelEntry> qconv_kernels();   // com.shrink QConv (int8)
std::vector<KernelEntry> qmatmul_kernels(); // com.shrink QMatMul (int8)


}  // namespace shrink::runtime::onednn
