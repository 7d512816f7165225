// The list of fast kernels (oneDNN and our own), in preference order. Each backend folder adds
// its entries in its own table file.
#pragma once
#include <vector>

#include "runtime/kernel.h"

namespace shrink::runtime {

const std::vector<KernelEntry>& fast_kernels();
std::vector<KernelEntry> view_kernels();    // runtime/view_kernels.cc
std::vector<KernelEntry> onednn_kernels();  // runtime/onednn/table.cc
std::vector<KernelEntry> blas_kernels();    // runtime/blas/sgemm_kernels.cc
std::vector<KernelEntry> cpu_kernels();     // runtime/cpu/: our own OpenMP/AVX2 kernels (table.cc)
// Thread count of the BLAS backend (it does not follow later OpenMP settings by itself).
void set_blas_threads(int n);

}  // namespace shrink::runtime
