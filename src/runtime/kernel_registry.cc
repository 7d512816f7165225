// The kernel table: fast implementations by op, tried in order; the op's reference kernel last.
#include <algorithm>
#include <cstring>

#include "runtime/kernel.h"
#include "runtime/kernel_table.h"

namespace shrink::runtime {
namespace {

class ReferenceKernel final : public Kernel {
 public:
  explicit ReferenceKernel(const ir::Node& node) : node_(node), compute_(ops::schema_of(node).compute) {}
  void run(std::span<const Tensor> in, std::span<Tensor> out) override { compute_(node_, in, out); }
  std::string_view name() const override { return "ref"; }
  bool needs_zeroed_outputs() const override { return true; }

 private:
  const ir::Node& node_;
  ops::ComputeFn compute_;
};

}  // namespace

std::unique_ptr<Kernel> select_kernel(const ir::Node& node, std::span<const ops::ValueMeta> in, bool reference_only,
                                      const std::vector<std::string>& skip) {
  if (!reference_only) {
    for (const KernelEntry& e : fast_kernels()) {
      if (e.op_type != node.op_type || e.domain != node.domain) continue;
      if (std::find(skip.begin(), skip.end(), e.backend) != skip.end()) continue;
      if (auto k = e.factory(node, in)) return k;
    }
  }
  return std::make_unique<ReferenceKernel>(node);
}

}  // namespace shrink::runtime
