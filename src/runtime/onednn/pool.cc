// MaxPool and AveragePool (1-D to 3-D, fp32) on oneDNN's pooling_v2 primitive, and AveragePool's
// backward (com.shrink AveragePoolGrad). The geometry comes from resolve_pool; ceil_mode becomes
// extra right padding, which oneDNN ignores for max and for average-excluding-padding. Cases it
// cannot express (Indices output, average including padding with ceil-mode overhang) use the
// reference kernel. MaxPoolGrad stays on its reference kernel (parallel over planes): oneDNN's
// workspace argmax need not follow the forward reference's tie and NaN rule.
#include <optional>

#include "ops/internal/blocked_layout.h"
#include "ops/internal/channels_last.h"
#include "ops/nn/pool.h"
#include "runtime/kernel_table.h"
#include "runtime/onednn/context.h"
#include "runtime/onednn/onednn_kernels.h"

namespace shrink::runtime::onednn {
namespace {

// oneDNN's fast pooling wants channel-blocked data (8 channels on AVX2, 16 on AVX-512); plain
// NCHW only gets a slow generic loop. So the kernel reorders in, pools blocked, reorders out;
// com.shrink BlockedMaxPool / BlockedAveragePool (passes/block_layout.cc) take and give blocked
// tensors and run without reorders; com.shrink NhwcMaxPool (ops/internal/channels_last.h) likewise
// takes and gives the channels-last tensors int8 pooling runs on.
dnnl::memory::format_tag blocked_tag(size_t rank) {
  using tag = dnnl::memory::format_tag;
  const bool wide = dnnl::get_effective_cpu_isa() >= dnnl::cpu_isa::avx512_core;
  switch (rank) {
    case 3: return wide ? tag::nCw16c : tag::nCw8c;
    case 4: return wide ? tag::nChw16c : tag::nChw8c;
    default: return wide ? tag::nCdhw16c : tag::nCdhw8c;
  }
}

class PoolKernel final : public Kernel {
 public:
  PoolKernel(dnnl::algorithm alg, const Shape& x, const Shape& y, const dnnl::memory::dims& strides,
             const dnnl::memory::dims& kernel, const dnnl::memory::dims& dil, const dnnl::memory::dims& pl,
             const dnnl::memory::dims& pr, dnnl::memory::data_type dt, int64_t io_block = 0,
             bool channels_last = false)
      : x_md_(io_block ? blocked_desc(x, io_block, dt) : plain_desc(x, dt)),
        y_md_(io_block ? blocked_desc(y, io_block, dt) : plain_desc(y, dt)) {
    // int8 (max pooling between quantized ops) runs channels-last, as oneDNN's int8 kernels want.
    const bool int8 = dt != dnnl::memory::data_type::f32;
    using ft = dnnl::memory::format_tag;
    const ft last = x.size() == 3 ? ft::acb : x.size() == 4 ? ft::acdb : ft::acdeb;
    const ft layout = !int8 && !channels_last ? blocked_tag(x.size()) : last;
    dnnl::memory::desc xb(to_dims(x), dt, layout), yb(to_dims(y), dt, layout);
    if (channels_last) x_md_ = xb, y_md_ = yb;
    if (io_block) xb = x_md_, yb = y_md_;
    if (channels_last) io_block = 1;  // x and y already in the pooling layout
    dnnl::pooling_v2_forward::desc d(dnnl::prop_kind::forward_inference, alg, xb, yb, strides, kernel, dil, pl, pr);
    prim_ = dnnl::pooling_v2_forward(dnnl::pooling_v2_forward::primitive_desc(d, engine()));
    if (io_block) return;
    x_blocked_ = dnnl::memory(xb, engine());
    y_blocked_ = dnnl::memory(yb, engine());
    to_blocked_ = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), x_md_, engine(), xb));
    to_plain_ = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), yb, engine(), y_md_));
  }
  void run(std::span<const Tensor> in, std::span<Tensor> out) override {
    auto& s = stream();
    dnnl::memory x = wrap(x_md_, in[0]), y = wrap(y_md_, out[0]);
    if (!x_blocked_) {
      prim_.execute(s, {{DNNL_ARG_SRC, x}, {DNNL_ARG_DST, y}});
      s.wait();
      return;
    }
    to_blocked_.execute(s, x, x_blocked_);
    prim_.execute(s, {{DNNL_ARG_SRC, x_blocked_}, {DNNL_ARG_DST, y_blocked_}});
    to_plain_.execute(s, y_blocked_, y);
    s.wait();
  }
  std::string_view name() const override { return "onednn:pool"; }

 private:
  dnnl::memory::desc x_md_, y_md_;
  dnnl::pooling_v2_forward prim_;
  dnnl::memory x_blocked_, y_blocked_;
  dnnl::reorder to_blocked_, to_plain_;
};

// The oneDNN description of a pooling node's geometry for input shape x, or nullopt when oneDNN
// cannot express it (the reference kernel runs instead).
struct PoolDims {
  dnnl::algorithm alg = dnnl::algorithm::pooling_max;
  Shape y;
  dnnl::memory::dims strides, kernel, dil, pl, pr;
};

std::optional<PoolDims> pool_dims(const ir::Node& node, const Shape& x) {
  if (x.size() < 3 || x.size() > 5) return std::nullopt;
  const auto& a = node.attrs_as<ops::PoolAttrs>();
  ops::ConvGeometry geo = ops::resolve_pool(node, a, x);
  PoolDims p;
  p.y = geo.output_shape();
  if (numel(p.y) == 0 || numel(x) == 0) return std::nullopt;
  bool overhang = false;
  for (size_t i = 0; i < geo.in_spatial.size(); ++i) {
    p.strides.push_back(geo.strides[i]);
    p.kernel.push_back(geo.kernel[i]);
    p.dil.push_back(geo.dilations[i] - 1);
    p.pl.push_back(geo.pad_begin[i]);
    // Right padding that makes oneDNN's floor formula produce the resolved output size.
    p.pr.push_back((geo.out_spatial[i] - 1) * geo.strides[i] + (geo.kernel[i] - 1) * geo.dilations[i] + 1 -
                   geo.in_spatial[i] - geo.pad_begin[i]);
    // Negative when floor mode leaves the last input rows unread; 0 gives the same output size.
    p.pr.back() = std::max<int64_t>(p.pr.back(), 0);
    if (p.pr.back() > geo.pad_end[i]) overhang = true;
  }
  if (a.kind == ops::PoolKind::kAverage) {
    if (a.count_include_pad && overhang) return std::nullopt;
    p.alg = a.count_include_pad ? dnnl::algorithm::pooling_avg_include_padding
                                : dnnl::algorithm::pooling_avg_exclude_padding;
  }
  return p;
}

std::unique_ptr<Kernel> make_blocked_pool(const ir::Node& node, std::span<const ops::ValueMeta> in) {
  const auto& a = node.attrs_as<ops::BlockedAttrs>();
  if (in[0].dtype != DType::kFloat32 || in[0].shape.size() != 5) return nullptr;
  const Shape x = ops::plain_shape(in[0].shape, node);
  const auto p = pool_dims(a.inner, x);
  if (!p) return nullptr;
  try {
    return std::make_unique<PoolKernel>(p->alg, x, p->y, p->strides, p->kernel, p->dil, p->pl, p->pr,
                                        dnnl::memory::data_type::f32, a.block);
  } catch (const dnnl::error&) {
    return nullptr;
  }
}

std::unique_ptr<Kernel> make_nhwc_pool(const ir::Node& node, std::span<const ops::ValueMeta> in) {
  const auto& inner = node.attrs_as<ops::ChannelsLastAttrs>().inner;
  const DType t = in[0].dtype;
  if ((t != DType::kUInt8 && t != DType::kInt8 && t != DType::kFloat32) || in[0].shape.size() != 4) return nullptr;
  const Shape x = ops::nchw_shape(in[0].shape, node);
  const auto p = pool_dims(inner, x);
  if (!p) return nullptr;
  try {
    const auto dt = t == DType::kUInt8 ? dnnl::memory::data_type::u8
                    : t == DType::kInt8 ? dnnl::memory::data_type::s8 : dnnl::memory::data_type::f32;
    return std::make_unique<PoolKernel>(p->alg, x, p->y, p->strides, p->kernel, p->dil, p->pl, p->pr, dt, 0, true);
  } catch (const dnnl::error&) {
    return nullptr;
  }
}

std::unique_ptr<Kernel> make_pool(const ir::Node& node, std::span<const ops::ValueMeta> in) {
  const DType t = in[0].dtype;
  const bool int8_max = (t == DType::kUInt8 || t == DType::kInt8) &&
                        node.attrs_as<ops::PoolAttrs>().kind == ops::PoolKind::kMax;
  if (t != DType::kFloat32 && !int8_max) return nullptr;
  if (node.outputs.size() > 1 && !node.outputs[1].empty()) return nullptr;  // MaxPool Indices
  const auto p = pool_dims(node, in[0].shape);
  if (!p) return nullptr;
  try {
    const auto dt = t == DType::kUInt8 ? dnnl::memory::data_type::u8
                    : t == DType::kInt8 ? dnnl::memory::data_type::s8 : dnnl::memory::data_type::f32;
    return std::make_unique<PoolKernel>(p->alg, in[0].shape, p->y, p->strides, p->kernel, p->dil, p->pl, p->pr, dt);
  } catch (const dnnl::error&) {
    return nullptr;  // e.g. padding as large as the window: the reference kernel handles it
  }
}

// com.shrink AveragePoolGrad(dY, X) -> dX on pooling_v2_backward, blocked like the forward kernel.
class AveragePoolGradKernel final : public Kernel {
 public:
  AveragePoolGradKernel(const Shape& x, const PoolDims& p) : x_md_(plain_desc(x)), y_md_(plain_desc(p.y)) {
    auto tag = blocked_tag(x.size());
    dnnl::memory::desc xb(to_dims(x), dnnl::memory::data_type::f32, tag);
    dnnl::memory::desc yb(to_dims(p.y), dnnl::memory::data_type::f32, tag);
    dnnl::pooling_v2_forward::desc fd(dnnl::prop_kind::forward_training, p.alg, xb, yb, p.strides, p.kernel, p.dil,
                                      p.pl, p.pr);
    dnnl::pooling_v2_forward::primitive_desc hint(fd, engine());
    dnnl::pooling_v2_backward::desc bd(p.alg, xb, yb, p.strides, p.kernel, p.dil, p.pl, p.pr);
    prim_ = dnnl::pooling_v2_backward(dnnl::pooling_v2_backward::primitive_desc(bd, engine(), hint));
    dy_blocked_ = dnnl::memory(yb, engine());
    dx_blocked_ = dnnl::memory(xb, engine());
    to_blocked_ = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), y_md_, engine(), yb));
    to_plain_ = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), xb, engine(), x_md_));
  }
  void run(std::span<const Tensor> in, std::span<Tensor> out) override {
    auto& s = stream();
    dnnl::memory dy = wrap(y_md_, in[0]), dx = wrap(x_md_, out[0]);
    to_blocked_.execute(s, dy, dy_blocked_);
    prim_.execute(s, {{DNNL_ARG_DIFF_DST, dy_blocked_}, {DNNL_ARG_DIFF_SRC, dx_blocked_}});
    to_plain_.execute(s, dx_blocked_, dx);
    s.wait();
  }
  std::string_view name() const override { return "onednn:pool_bwd"; }

 private:
  dnnl::memory::desc x_md_, y_md_;
  dnnl::pooling_v2_backward prim_;
  dnnl::memory dy_blocked_, dx_blocked_;
  dnnl::reorder to_blocked_, to_plain_;
};

std::unique_ptr<Kernel> make_average_pool_grad(const ir::Node& node, std::span<const ops::ValueMeta> in) {
  if (in[0].dtype != DType::kFloat32 || in[1].dtype != DType::kFloat32) return nullptr;
  const auto p = pool_dims(node, in[1].shape);
  if (!p || p->y != in[0].shape) return nullptr;
  try {
    return std::make_unique<AveragePoolGradKernel>(in[1].shape, *p);
  } catch (const dnnl::error&) {
    return nullptr;
  }
}

}  // namespace

std::vector<KernelEntry> pool_kernels() {
  return {{"", "MaxPool", make_pool},
          {"", "AveragePool", make_pool},
          {"com.shrink", "BlockedMaxPool", make_blocked_pool},
          {"com.shrink", "BlockedAveragePool", make_blocked_pool},
          {"com.shrink", "NhwcMaxPool", make_nhwc_pool}};
}

std::vector<KernelEntry> pool_backward_kernels() {
  return {{"com.shrink", "AveragePoolGrad", make_average_pool_grad}};
}

}  // namespace shrink::runtime::onednn
