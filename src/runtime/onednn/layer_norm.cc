// LayerNormalization on oneDNN's layer_normalization primitive (fp32, inference): the input is
// viewed as [outer, inner] with the normalized dims flattened into `inner`. Scale and bias must be
// constants covering all of `inner` (no broadcast), and the Mean/InvStdDev outputs unused.
#include <cstring>

#include "ops/nn/layer_norm.h"
#include "runtime/kernel_table.h"
#include "runtime/onednn/context.h"
#include "runtime/onednn/onednn_kernels.h"

namespace shrink::runtime::onednn {
namespace {

class LayerNormKernel final : public Kernel {
 public:
  LayerNormKernel(int64_t outer, int64_t inner, float eps, const Tensor& scale, const Tensor* bias) {
    md_ = plain_desc({outer, inner});
    auto flags = dnnl::normalization_flags::use_scale;
    if (bias) flags |= dnnl::normalization_flags::use_shift;
    dnnl::layer_normalization_forward::desc d(dnnl::prop_kind::forward_inference, md_, eps, flags);
    prim_ = dnnl::layer_normalization_forward(dnnl::layer_normalization_forward::primitive_desc(d, engine()));
    auto vec = plain_desc({inner});
    scale_ = dnnl::memory(vec, engine());
    std::memcpy(scale_.get_data_handle(), scale.raw(), scale.nbytes());
    if (bias) {
      shift_ = dnnl::memory(vec, engine());
      std::memcpy(shift_.get_data_handle(), bias->raw(), bias->nbytes());
    }
  }
  void run(std::span<const Tensor> in, std::span<Tensor> out) override {
    std::unordered_map<int, dnnl::memory> args{
        {DNNL_ARG_SRC, wrap(md_, in[0])}, {DNNL_ARG_DST, wrap(md_, out[0])}, {DNNL_ARG_SCALE, scale_}};
    if (shift_) args[DNNL_ARG_SHIFT] = shift_;
    prim_.execute(stream(), args);
    stream().wait();
  }
  std::string_view name() const override { return "onednn:layer_norm"; }

 private:
  dnnl::memory::desc md_;
  dnnl::layer_normalization_forward prim_;
  dnnl::memory scale_, shift_;
};

std::unique_ptr<Kernel> make_layer_norm(const ir::Node& node, std::span<const ops::ValueMeta> in) {
  for (size_t i = 1; i < node.outputs.size(); ++i)
    if (!node.outputs[i].empty()) return nullptr;  // Mean / InvStdDev requested
  if (in[0].dtype != DType::kFloat32 || in[0].shape.empty() || !in[1].value) return nullptr;
  const bool has_bias = in.size() > 2 && in[2].present();
  if (has_bias && !in[2].value) return nullptr;
  const auto& a = node.attrs_as<ops::LayerNormAttrs>();
  const int64_t rank = int64_t(in[0].shape.size());
  if (a.axis < -rank || a.axis >= rank) return nullptr;  // inference reports it
  const int64_t axis = a.axis < 0 ? a.axis + rank : a.axis;
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < rank; ++i) (i < axis ? outer : inner) *= in[0].shape[size_t(i)];
  if (outer * inner == 0) return nullptr;
  if (in[1].value->numel() != inner || in[1].dtype != DType::kFloat32) return nullptr;
  if (has_bias && (in[2].value->numel() != inner || in[2].dtype != DType::kFloat32)) return nullptr;
  return std::make_unique<LayerNormKernel>(outer, inner, a.epsilon, *in[1].value, has_bias ? in[2].value : nullptr);
}

}  // namespace

std::vector<KernelEntry> layer_norm_kernels() { return {{"", "LayerNormalization", make_layer_norm}}; }

}  // namespace shrink::runtime::onednn
