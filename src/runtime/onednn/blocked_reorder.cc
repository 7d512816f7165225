// com.shrink ToBlocked / FromBlocked (ops/internal/blocked_layout.h) on oneDNN reorders: the layout
// changes at the borders of a channel-blocked region.
#include "ops/internal/blocked_layout.h"
#include "runtime/kernel_table.h"
#include "runtime/onednn/context.h"
#include "runtime/onednn/onednn_kernels.h"

namespace shrink::runtime::onednn {
namespace {

class BlockReorderKernel final : public Kernel {
 public:
  BlockReorderKernel(const dnnl::memory::desc& from, const dnnl::memory::desc& to)
      : from_(from), to_(to), prim_(dnnl::reorder::primitive_desc(engine(), from, engine(), to)) {}
  void run(std::span<const Tensor> in, std::span<Tensor> out) override {
    dnnl::memory x = wrap(from_, in[0]), y = wrap(to_, out[0]);
    prim_.execute(stream(), x, y);
    stream().wait();
  }
  std::string_view name() const override { return "onednn:reorder"; }

 private:
  dnnl::memory::desc from_, to_;
  dnnl::reorder prim_;
};

std::unique_ptr<Kernel> make(const ir::Node& node, std::span<const ops::ValueMeta> in) {
  if (in[0].dtype != DType::kFloat32) return nullptr;
  const bool to_blocked = node.op_type == "ToBlocked";
  const Shape plain = to_blocked ? in[0].shape : ops::plain_shape(in[0].shape, node);
  const int64_t block = to_blocked ? ops::infer_outputs(node, in)[0].shape[4] : in[0].shape[4];
  if ((block != 8 && block != 16) || numel(plain) == 0) return nullptr;
  const auto p = plain_desc(plain), b = blocked_desc(plain, block);
  return to_blocked ? std::make_unique<BlockReorderKernel>(p, b) : std::make_unique<BlockReorderKernel>(b, p);
}

}  // namespace

std::vector<KernelEntry> block_reorder_kernels() {
  return {{"com.shrink", "ToBlocked", make}, {"com.shrink", "FromBlocked", make}};
}

}  // namespace shrink::runtime::onednn
