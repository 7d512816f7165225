// oneDNN kernels, in preference order.
#include "runtime/kernel_table.h"

namespace shrink::runtime {

std::vector<KernelEntry> onednn_kernels() { return {}; }

}  // namespace shrink::runtime
