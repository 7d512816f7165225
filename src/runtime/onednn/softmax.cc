// Softmax and LogSoftmax on oneDNN's softmax_v2 primitive (fp32): the input is viewed as
// [outer, n, inner] (either opset's axis rule, via softmax_geometry) and normalized over n.
#include "ops/nn/softmax.h"
#include "runtime/kernel_table.h"
#include "runtime/onednn/context.h"
#include "runtime/onednn/onednn_kernels.h"

namespace shrink::runtime::onednn {
namespace {

class SoftmaxKernel final : public Kernel {
 public:
  SoftmaxKernel(const ops::SoftmaxGeometry& g, bool log) {
    md_ = plain_desc({g.outer, g.n, g.inner});
    dnnl::softmax_v2_forward::desc d(dnnl::prop_kind::forward_inference,
                                     log ? dnnl::algorithm::softmax_log : dnnl::algorithm::softmax_accurate, md_, md_, 1);
    prim_ = dnnl::softmax_v2_forward(dnnl::softmax_v2_forward::primitive_desc(d, engine()));
  }
  void run(std::span<const Tensor> in, std::span<Tensor> out) override {
    prim_.execute(stream(), {{DNNL_ARG_SRC, wrap(md_, in[0])}, {DNNL_ARG_DST, wrap(md_, out[0])}});
    stream().wait();
  }
  std::string_view name() const override { return "onednn:softmax"; }

 private:
  dnnl::memory::desc md_;
  dnnl::softmax_v2_forward prim_;
};

template <bool kLog>
std::unique_ptr<Kernel> make_softmax(const ir::Node& node, std::span<const ops::ValueMeta> in) {
  if (in[0].dtype != DType::kFloat32 || numel(in[0].shape) == 0) return nullptr;
  auto g = ops::softmax_geometry(node.attrs_as<ops::SoftmaxAttrs>(), in[0].shape, node.label());
  return std::make_unique<SoftmaxKernel>(g, kLog);
}

}  // namespace

std::vector<KernelEntry> softmax_kernels() {
  return {{"", "Softmax", make_softmax<false>}, {"", "LogSoftmax", make_softmax<true>}};
}

}  // namespace shrink::runtime::onednn
