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
    add(blas_kernels(), "blas");
    add(cpu_kernels(), "cpu");
    add(onednn_kernels(), "onednn");
    return v;
  }();
  return all;
}

}  // namespace shrink::runtime
