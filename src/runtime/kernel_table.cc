// Concatenates the backend tables once.
#include "runtime/kernel_table.h"

namespace shrink::runtime {

const std::vector<KernelEntry>& fast_kernels() {
  static const std::vector<KernelEntry> all = [] {
    std::vector<KernelEntry> v;
    auto add = [&](std::vector<KernelEntry> entries, std::string_view backend) {
      for (auto& e : entries) {
        e.backend = backend;
        v.push_back(e);
      }
    };
    add(view_kernels(), "view");
    add(cpu_kernels(), "cpu");  // shrink's own kernels first: none of them duplicates a BLAS one but FusedMatMul
    add(blas_kernels(), "blas");
    add(onednn_kernels(), "onednn");
    return v;
  }();
  return all;
}

}  // namespace shrink::runtime
