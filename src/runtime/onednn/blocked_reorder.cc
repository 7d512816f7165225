// com.shrink ToBlocked / FromBlocked (ops/internal/blocked_layout.h) and the channels-last Transposes
// (perm 0,2,3,1 and 0,3,1,2: ops/internal/channels_last.h) on oneDNN reorders: the layout changes
// at the borders of a channel-blocked or channels-last region.
#include "ops/internal/blocked_layout.h"
#include "ops/shape/shape_attrs.h"
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

// NCHW <-> NHWC of f32 / s32 / u8 / s8 as a reorder between abcd and acdb views of the NCHW tensor.
std::unique_ptr<Kernel> make_transpose(const ir::Node& node, std::span<const ops::ValueMeta> in) {
  using dt = dnnl::memory::data_type;
  using tag = dnnl::memory::format_tag;
  const auto& perm = node.attrs_as<ops::TransposeAttrs>().perm;
  const Shape& s = in[0].shape;
  const bool to_last = perm == std::vector<int64_t>{0, 2, 3, 1}, to_first = perm == std::vector<int64_t>{0, 3, 1, 2};
  if ((!to_last && !to_first) || s.size() != 4 || numel(s) == 0) return nullptr;
  const DType t = in[0].dtype;
  dt type;
  if (t == DType::kFloat32) type = dt::f32;
  else if (t == DType::kInt32) type = dt::s32;
  else if (t == DType::kUInt8) type = dt::u8;
  else if (t == DType::kInt8) type = dt::s8;
  else return nullptr;
  const Shape nchw = to_last ? s : Shape{s[0], s[3], s[1], s[2]};
  const dnnl::memory::desc first(to_dims(nchw), type, tag::abcd), last(to_dims(nchw), type, tag::acdb);
  return to_last ? std::make_unique<BlockReorderKernel>(first, last) : std::make_unique<BlockReorderKernel>(last, first);
}

}  // namespace

std::vector<KernelEntry> block_reorder_kernels() {
  return {{"com.shrink", "ToBlocked", make}, {"com.shrink", "FromBlocked", make}, {"", "Transpose", make_transpose}};
}

}  // namespace shrink::runtime::onednn
