// com.shrink LayerNormGrad(dY, X, scale) -> (dX, dscale, [dbias]) on oneDNN's
// layer_normalization_backward (fp32, use_scale | use_shift): X viewed as [outer, inner] with the
// normalized dims flattened into inner; the row mean and biased variance are recomputed here. Scale
// must cover all of inner (no broadcast); others use the reference kernel.
#include <cmath>
#include <cstring>

#include "core/threads.h"
#include "ops/nn/layer_norm.h"
#include "runtime/kernel_table.h"
#include "runtime/onednn/context.h"
#include "runtime/onednn/onednn_kernels.h"

namespace shrink::runtime::onednn {
namespace {

const auto kFlags = dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift;

class LayerNormGradKernel final : public Kernel {
 public:
  LayerNormGradKernel(int64_t outer, int64_t inner, float eps)
      : outer_(outer), inner_(inner), md_(plain_desc({outer, inner})), stat_(plain_desc({outer})),
        vec_(plain_desc({inner})) {
    dnnl::layer_normalization_forward::desc fd(dnnl::prop_kind::forward_training, md_, stat_, eps, kFlags);
    dnnl::layer_normalization_forward::primitive_desc hint(fd, engine());
    dnnl::layer_normalization_backward::desc d(dnnl::prop_kind::backward, md_, md_, stat_, eps, kFlags);
    prim_ = dnnl::layer_normalization_backward(dnnl::layer_normalization_backward::primitive_desc(d, engine(), hint));
    mean_ = dnnl::memory(stat_, engine());
    var_ = dnnl::memory(stat_, engine());
    dshift_ = dnnl::memory(vec_, engine());
    // oneDNN 2.6 counts the shift as an input of the use_shift backward, though it does not read it.
    shift_ = dnnl::memory(vec_, engine());
    std::memset(shift_.get_data_handle(), 0, vec_.get_size());
  }
  void run(std::span<const Tensor> in, std::span<Tensor> out) override {
    row_stats(in[1].data<float>());
    dnnl::memory db = out.size() > 2 && out[2].defined() ? wrap(vec_, out[2]) : dshift_;
    prim_.execute(stream(), {{DNNL_ARG_SRC, wrap(md_, in[1])}, {DNNL_ARG_DIFF_DST, wrap(md_, in[0])},
                             {DNNL_ARG_SCALE, wrap(vec_, in[2])}, {DNNL_ARG_SHIFT, shift_}, {DNNL_ARG_MEAN, mean_}, {DNNL_ARG_VARIANCE, var_},
                             {DNNL_ARG_DIFF_SRC, wrap(md_, out[0])}, {DNNL_ARG_DIFF_SCALE, wrap(vec_, out[1])},
                             {DNNL_ARG_DIFF_SHIFT, db}});
    stream().wait();
  }
  std::string_view name() const override { return "onednn:layer_norm_bwd"; }

 private:
  void row_stats(const float* x) {
    float* mean = static_cast<float*>(mean_.get_data_handle());
    float* var = static_cast<float*>(var_.get_data_handle());
    parallel_for(outer_, std::max<int64_t>(1, 8192 / inner_), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const float* p = x + r * inner_;
        double s = 0, s2 = 0;
        for (int64_t j = 0; j < inner_; ++j) s += double(p[j]);
        const double m = s / double(inner_);
        for (int64_t j = 0; j < inner_; ++j) s2 += (double(p[j]) - m) * (double(p[j]) - m);
        mean[r] = float(m);
        var[r] = float(s2 / double(inner_));
      }
    });
  }

  int64_t outer_, inner_;
  dnnl::memory::desc md_, stat_, vec_;
  dnnl::layer_normalization_backward prim_;
  dnnl::memory mean_, var_, dshift_, shift_;
};

std::unique_ptr<Kernel> make_layer_norm_grad(const ir::Node& node, std::span<const ops::ValueMeta> in) {
  for (const auto& m : in)
    if (m.dtype != DType::kFloat32) return nullptr;
  if (node.outputs.size() < 2 || node.outputs[1].empty()) return nullptr;
  const Shape& x = in[1].shape;
  const int64_t rank = int64_t(x.size()), axis_attr = node.attrs_as<ops::LayerNormAttrs>().axis;
  if (rank == 0 || axis_attr < -rank || axis_attr >= rank || in[0].shape != x) return nullptr;
  const int64_t axis = axis_attr < 0 ? axis_attr + rank : axis_attr;
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < rank; ++i) (i < axis ? outer : inner) *= x[size_t(i)];
  if (outer * inner == 0 || numel(in[2].shape) != inner || in[2].shape.size() > size_t(rank - axis)) return nullptr;
  try {
    return std::make_unique<LayerNormGradKernel>(outer, inner, node.attrs_as<ops::LayerNormAttrs>().epsilon);
  } catch (const dnnl::error&) {
    return nullptr;
  }
}

}  // namespace

std::vector<KernelEntry> layer_norm_backward_kernels() {
  return {{"com.shrink", "LayerNormGrad", make_layer_norm_grad}};
}

}  // namespace shrink::runtime::onednn
