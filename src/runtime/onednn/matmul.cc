// MatMul on oneDNN's matmul primitive (fp32): numpy batch broadcasting, 1-D promotion, and a
// constant right-hand side (the usual weight matrix) reordered once into oneDNN's preferred layout.
// com.shrink FusedMatMul adds its bias through the primitive's bias argument, and its residual and
// activation as sum and eltwise post-ops.
#include <cstring>

#include "ops/internal/fused_matmul.h"
#include "runtime/kernel_table.h"
#include "runtime/onednn/context.h"
#include "runtime/onednn/onednn_kernels.h"

namespace shrink::runtime::onednn {
namespace {

using dt = dnnl::memory::data_type;

class MatMulKernel final : public Kernel {
 public:
  // fused: FusedMatMul's attributes (b is then a constant 2-D weight); bias: its constant bias.
  MatMulKernel(const Shape& a, const Shape& b, const Tensor* const_b, const ops::FusedMatMulAttrs* fused = nullptr,
               const Tensor* bias = nullptr, bool residual = false)
      : residual_(residual) {
    // Promote 1-D operands and pad batch dims to a common rank.
    Shape sa = a, sb = b;
    if (sa.size() == 1) sa.insert(sa.begin(), 1);
    if (sb.size() == 1) sb.push_back(1);
    size_t r = std::max(sa.size(), sb.size());
    sa.insert(sa.begin(), r - sa.size(), 1);
    sb.insert(sb.begin(), r - sb.size(), 1);
    Shape sc(r);
    for (size_t i = 0; i + 2 < r; ++i) sc[i] = std::max(sa[i], sb[i]);
    sc[r - 2] = sa[r - 2];
    sc[r - 1] = sb[r - 1];
    // A constant 2-D B with a batched A: fold A's batch into M so B is one weight matrix.
    bool fold = const_b && b.size() == 2 && a.size() >= 2;
    if (fold) {
      int64_t m = 1;
      for (size_t i = 0; i + 1 < a.size(); ++i) m *= a[i];
      sa = {m, a.back()};
      sb = b;
      sc = {m, b.back()};
    }
    auto a_md = plain_desc(sa), c_md = plain_desc(sc);
    auto b_md = const_b ? dnnl::memory::desc(to_dims(sb), dt::f32, dnnl::memory::format_tag::any) : plain_desc(sb);
    dnnl::memory::desc bias_md;
    if (bias) bias_md = plain_desc({1, sb.back()});
    dnnl::matmul::desc d = bias ? dnnl::matmul::desc(a_md, b_md, bias_md, c_md) : dnnl::matmul::desc(a_md, b_md, c_md);
    dnnl::post_ops po;
    if (residual) po.append_sum(1.f);
    if (fused && fused->activation != ops::Activation::kNone) {
      float alpha = fused->alpha, beta = fused->beta;
      dnnl::algorithm alg = dnnl::algorithm::eltwise_relu;
      switch (fused->activation) {
        case ops::Activation::kRelu: alpha = 0.f; break;
        case ops::Activation::kLeakyRelu: break;
        case ops::Activation::kClip: alg = dnnl::algorithm::eltwise_clip; break;
        case ops::Activation::kSigmoid: alg = dnnl::algorithm::eltwise_logistic; break;
        case ops::Activation::kHardSwish: alg = dnnl::algorithm::eltwise_hardswish, alpha = beta = 0.f; break;
        case ops::Activation::kGelu: alg = dnnl::algorithm::eltwise_gelu_erf, alpha = beta = 0.f; break;
        case ops::Activation::kNone: break;
      }
      po.append_eltwise(1.f, alg, alpha, beta);
    }
    dnnl::primitive_attr attr;
    attr.set_post_ops(po);
    pd_ = dnnl::matmul::primitive_desc(d, attr, engine());
    if (bias) bias_mem_ = reorder_to(wrap(bias_md, *bias), bias_md);
    prim_ = dnnl::matmul(pd_);
    a_md_ = a_md;
    c_md_ = c_md;
    b_plain_ = plain_desc(sb);
    if (const_b) b_mem_ = reorder_to(wrap(b_plain_, *const_b), pd_.weights_desc());
  }

  void run(std::span<const Tensor> in, std::span<Tensor> out) override {
    dnnl::memory a = wrap(a_md_, in[0]);
    dnnl::memory b = b_mem_ ? b_mem_ : wrap(b_plain_, in[1]);
    dnnl::memory c = wrap(c_md_, out[0]);
    if (residual_) std::memcpy(out[0].raw(), in[3].raw(), out[0].nbytes());
    std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, a}, {DNNL_ARG_WEIGHTS, b}, {DNNL_ARG_DST, c}};
    if (bias_mem_) args[DNNL_ARG_BIAS] = bias_mem_;
    prim_.execute(stream(), args);
    stream().wait();
  }
  std::string_view name() const override { return "onednn:matmul"; }

 private:
  dnnl::matmul::primitive_desc pd_;
  dnnl::matmul prim_;
  dnnl::memory::desc a_md_, c_md_, b_plain_;
  dnnl::memory b_mem_, bias_mem_;
  bool residual_ = false;
};

std::unique_ptr<Kernel> make_matmul(const ir::Node&, std::span<const ops::ValueMeta> in) {
  if (in[0].dtype != DType::kFloat32 || in[1].dtype != DType::kFloat32) return nullptr;
  const Shape& a = in[0].shape;
  const Shape& b = in[1].shape;
  if (a.empty() || b.empty() || a.size() > 6 || b.size() > 6) return nullptr;
  if (a.back() != (b.size() == 1 ? b[0] : b[b.size() - 2])) return nullptr;  // let inference report it
  if (numel(a) == 0 || numel(b) == 0) return nullptr;
  for (size_t i = 0; i + 2 < std::min(a.size(), b.size()); ++i) {
    int64_t da = a[a.size() - 3 - i], db = b[b.size() - 3 - i];
    if (da != db && da != 1 && db != 1) return nullptr;
  }
  return std::make_unique<MatMulKernel>(a, b, in[1].value);
}

std::unique_ptr<Kernel> make_fused_matmul(const ir::Node& node, std::span<const ops::ValueMeta> in) {
  for (const auto& m : in)
    if (m.present() && m.dtype != DType::kFloat32) return nullptr;
  const Shape& a = in[0].shape;
  if (a.empty() || a.size() > 6 || in[1].shape.size() != 2 || !in[1].value) return nullptr;
  if (a.back() != in[1].shape[0] || numel(a) == 0 || numel(in[1].shape) == 0) return nullptr;
  const bool has_bias = in.size() > 2 && in[2].present();
  if (has_bias && !in[2].value) return nullptr;
  Shape y = a;
  y.back() = in[1].shape[1];
  if (a.size() == 1) y = {in[1].shape[1]};
  const bool residual = in.size() > 3 && in[3].present();
  if (residual && in[3].shape != y) return nullptr;  // a broadcasting residual: the reference kernel
  return std::make_unique<MatMulKernel>(a, in[1].shape, in[1].value, &node.attrs_as<ops::FusedMatMulAttrs>(),
                                        has_bias ? in[2].value : nullptr, residual);
}

}  // namespace

std::vector<KernelEntry> matmul_kernels() {
  return {{"", "MatMul", make_matmul}, {"com.shrink", "FusedMatMul", make_fused_matmul}};
}

}  // namespace shrink::runtime::onednn
