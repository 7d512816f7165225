// Gemm (Y = alpha * op(A) * op(B) + beta * C) on oneDNN's matmul primitive (fp32). A constant B
// gets alpha and the transpose folded in once and is reordered into oneDNN's preferred layout; a
// run-time B (training feeds weights as inputs) is read in place through a strided view, with
// alpha == 1. A's transpose is a strided view. C becomes the bias (beta folded in when C is
// constant; a run-time C needs beta == 1).
#include "ops/nn/gemm.h"
#include "runtime/kernel_table.h"
#include "runtime/onednn/context.h"
#include "runtime/onednn/onednn_kernels.h"

namespace shrink::runtime::onednn {
namespace {

using dt = dnnl::memory::data_type;

Shape bias_shape(const Shape& c) {  // C broadcast to 2-D {rows or 1, cols or 1}
  if (c.empty()) return {1, 1};
  if (c.size() == 1) return {1, c[0]};
  return c;
}

class GemmKernel final : public Kernel {
 public:
  // b: B's value when constant, else null (a run-time B).
  GemmKernel(const ops::GemmAttrs& at, const Shape& a, const Shape& b_shape, const Tensor* b,
             const ops::ValueMeta* c) {
    const int64_t M = at.trans_a ? a[1] : a[0], K = at.trans_a ? a[0] : a[1];
    const int64_t N = at.trans_b ? b_shape[0] : b_shape[1];
    a_md_ = at.trans_a ? dnnl::memory::desc({M, K}, dt::f32, dnnl::memory::dims{1, M}) : plain_desc({M, K});
    y_md_ = plain_desc({M, N});
    b_md_ = at.trans_b ? dnnl::memory::desc({K, N}, dt::f32, dnnl::memory::dims{1, K}) : plain_desc({K, N});
    dnnl::memory::desc b_any = b ? dnnl::memory::desc({K, N}, dt::f32, dnnl::memory::format_tag::any) : b_md_;
    dnnl::memory::desc bias_md;
    if (c) {
      bias_md = plain_desc(bias_shape(c->shape));
      if (c->value) {
        Tensor cc = c->value->clone();
        for (int64_t i = 0; i < cc.numel(); ++i) cc.data<float>()[i] *= at.beta;
        bias_ = cc;
      }
    }
    dnnl::matmul::desc d = c ? dnnl::matmul::desc(a_md_, b_any, bias_md, y_md_) : dnnl::matmul::desc(a_md_, b_any, y_md_);
    pd_ = dnnl::matmul::primitive_desc(d, engine());
    prim_ = dnnl::matmul(pd_);
    if (b) {  // alpha * op(B) as a plain {K, N} matrix, then oneDNN's layout
      Tensor bk(DType::kFloat32, {K, N});
      const float* src = b->data<float>();
      float* dst = bk.data<float>();
      for (int64_t k = 0; k < K; ++k)
        for (int64_t n = 0; n < N; ++n) dst[k * N + n] = at.alpha * (at.trans_b ? src[n * K + k] : src[k * N + n]);
      b_mem_ = reorder_to(wrap(plain_desc({K, N}), bk), pd_.weights_desc());
    }
    bias_md_ = bias_md;
    has_bias_ = c != nullptr;
  }

  void run(std::span<const Tensor> in, std::span<Tensor> out) override {
    std::unordered_map<int, dnnl::memory> args{
        {DNNL_ARG_SRC, wrap(a_md_, in[0])},
        {DNNL_ARG_WEIGHTS, b_mem_ ? b_mem_ : wrap(b_md_, in[1])},
        {DNNL_ARG_DST, wrap(y_md_, out[0])}};
    if (has_bias_) args[DNNL_ARG_BIAS] = wrap(bias_md_, bias_.defined() ? bias_ : in[2]);
    prim_.execute(stream(), args);
    stream().wait();
  }
  std::string_view name() const override { return "onednn:gemm"; }

 private:
  dnnl::matmul::primitive_desc pd_;
  dnnl::matmul prim_;
  dnnl::memory::desc a_md_, y_md_, b_md_, bias_md_;
  dnnl::memory b_mem_;
  Tensor bias_;
  bool has_bias_ = false;
};

std::unique_ptr<Kernel> make_gemm(const ir::Node& node, std::span<const ops::ValueMeta> in) {
  for (const auto& m : in)
    if (m.present() && m.dtype != DType::kFloat32) return nullptr;
  if (in[0].shape.size() != 2 || in[1].shape.size() != 2) return nullptr;
  const auto& at = node.attrs_as<ops::GemmAttrs>();
  if (!in[1].value && at.alpha != 1.f) return nullptr;
  const ops::ValueMeta* c = in.size() > 2 && in[2].present() ? &in[2] : nullptr;
  if (c && (c->shape.size() > 2 || (!c->value && at.beta != 1.f))) return nullptr;
  const int64_t M = at.trans_a ? in[0].shape[1] : in[0].shape[0];
  const int64_t K = at.trans_a ? in[0].shape[0] : in[0].shape[1];
  const int64_t Kb = at.trans_b ? in[1].shape[1] : in[1].shape[0];
  const int64_t N = at.trans_b ? in[1].shape[0] : in[1].shape[1];
  if (K != Kb || M == 0 || N == 0 || K == 0) return nullptr;  // inference reports mismatches
  if (c) {
    Shape bs = bias_shape(c->shape);
    if ((bs[0] != 1 && bs[0] != M) || (bs[1] != 1 && bs[1] != N)) return nullptr;
  }
  try {
    return std::make_unique<GemmKernel>(at, in[0].shape, in[1].shape, in[1].value, c);
  } catch (const dnnl::error&) {
    return nullptr;  // a bias broadcast this oneDNN build does not take: the reference kernel will
  }
}

}  // namespace

std::vector<KernelEntry> gemm_kernels() { return {{"", "Gemm", make_gemm}}; }

}  // namespace shrink::runtime::onednn
