// Concatenates the backend tables once.
#include "runtime/kernel_table.h"

namespace shrink::runtime {

const std::vector<KernelEntry>& fast_kernels() {
  static const std::vector<KernelEntry> all = [] {
    std::vector<KernelEntry> v = view_kernels();
    for (auto& e : onednn_kernels()) v.push_back(e);
    return v;
  }();
  return all;
}

}  // namespace shrink::runtime
