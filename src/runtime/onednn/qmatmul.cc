// com.shrink QMatMul on oneDNN's int8 matmul: x [..., K] folded to [M, K] as u8 (s8 shifted), the
// constant w [K, N] as s8 reordered once (int8_common.h explains the split that keeps AVX2 exact),
// per-column output scales, source / destination zero points, float bias, Relu / Clip post-ops,
// u8 / s8 / f32 destination. x's scale and zero point may be run-time values (dynamic quantization).
#include "runtime/kernel_table.h"
#include "runtime/onednn/context.h"
#include "runtime/onednn/int8_common.h"
#include "runtime/onednn/onednn_kernels.h"

namespace shrink::runtime::onednn {
namespace {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;
using namespace ops;  // QInput names

class QMatMulKernel final : public Kernel {
 public:
  QMatMulKernel(int64_t m, int64_t k, int64_t n, std::span<const ValueMeta> in, Int8Weights weights,
                Int8Epilogue epi, DType y_type)
      : m_(m), k_(k), n_(n), split_(weights.split), requant_(y_type != DType::kFloat32), epi_(std::move(epi)) {
    const int64_t kk = k * (split_ ? 2 : 1);
    x_md_ = plain_desc({m, kk}, dt::u8);
    y_md_ = plain_desc({m, n}, int8_output_type(y_type));
    dnnl::memory::desc w_any({kk, n}, dt::s8, tag::any);
    const bool has_bias = size_t(kQBias) < in.size() && in[kQBias].present();
    bias_md_ = has_bias ? plain_desc({1, n}) : dnnl::memory::desc();
    dnnl::matmul::desc d = bias_md_ ? dnnl::matmul::desc(x_md_, w_any, bias_md_, y_md_) : dnnl::matmul::desc(x_md_, w_any, y_md_);
    pd_ = dnnl::matmul::primitive_desc(d, epi_.attr, engine());
    prim_ = dnnl::matmul(pd_);
    // weights.w is [N, K']: as a {K', N} matrix it is column-major.
    dnnl::memory::desc w_nk({kk, n}, dt::s8, dnnl::memory::dims{1, kk});
    w_mem_ = reorder_to(wrap(w_nk, weights.w), pd_.weights_desc());
    if (split_ || in[kQX].dtype == DType::kInt8) x_u8_ = Tensor(DType::kUInt8, {m, kk});
    if (!epi_.runtime_scales && !epi_.bias.empty()) bias_ = Tensor::from_vector(epi_.bias, {1, n});
    y_zp_ = requant_ ? int32_t(in[kQYZp].value->as_int64(0)) : 0;
    metas_.assign(in.begin(), in.end());
  }

  void run(std::span<const Tensor> in, std::span<Tensor> out) override {
    const Tensor* x = &in[kQX];
    if (x_u8_.defined()) {
      prepare_source(in[kQX], m_, k_, split_, x_u8_.data<uint8_t>());
      x = &x_u8_;
    }
    int32_t x_zp = source_zero_point(in[kQX].dtype(), size_t(kQXZp) < in.size() ? &in[kQXZp] : nullptr);
    dnnl::memory zx({{1}, dt::s32, tag::x}, engine(), &x_zp), zy({{1}, dt::s32, tag::x}, engine(), &y_zp_);
    std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, wrap(x_md_, *x)},
                                               {DNNL_ARG_WEIGHTS, w_mem_},
                                               {DNNL_ARG_DST, wrap(y_md_, out[0])},
                                               {DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC, zx}};
    if (requant_) args[DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_DST] = zy;
    if (epi_.runtime_scales) {
      epi_.values(in[kQXScale].as_double(0), metas_, n_);
      args[DNNL_ARG_ATTR_OUTPUT_SCALES] = dnnl::memory({{int64_t(epi_.scales.size())}, dt::f32, tag::x}, engine(),
                                                       epi_.scales.data());
      if (bias_md_) args[DNNL_ARG_BIAS] = dnnl::memory(bias_md_, engine(), epi_.bias.data());
    } else if (bias_.defined()) {
      args[DNNL_ARG_BIAS] = wrap(bias_md_, bias_);
    }
    prim_.execute(stream(), args);
    stream().wait();
  }
  std::string_view name() const override { return split_ ? "onednn:qmatmul-split" : "onednn:qmatmul"; }

 private:
  int64_t m_, k_, n_;
  bool split_, requant_;
  int32_t y_zp_ = 0;
  Int8Epilogue epi_;
  std::vector<ValueMeta> metas_;  // constant inputs (scales, bias) for run-time epilogue values
  Tensor x_u8_, bias_;
  dnnl::matmul::primitive_desc pd_;
  dnnl::matmul prim_;
  dnnl::memory::desc x_md_, y_md_, bias_md_;
  dnnl::memory w_mem_;
};

std::unique_ptr<Kernel> make_qmatmul(const ir::Node& node, std::span<const ValueMeta> in) {
  for (int i : {int(kQW), int(kQWScale), int(kQWZp), int(kQBias), int(kQYScale), int(kQYZp)})
    if (size_t(i) < in.size() && in[size_t(i)].present() && !in[size_t(i)].value) return nullptr;
  const Shape& xs = in[kQX].shape;
  if (xs.empty() || in[kQW].shape.size() != 2 || numel(xs) == 0) return nullptr;
  std::vector<ValueMeta> out(1);
  if (!schema_of(node).infer(node, in, out)) return nullptr;  // fails (bad input) on invalid parameters
  const int64_t k = xs.back(), n = in[kQW].shape[1], m = numel(xs) / k;
  if (n == 0 || k == 0) return nullptr;
  // w [K, N] as [N, K] so that each column's reduction is contiguous.
  const Tensor& w = *in[kQW].value;
  Tensor wt(w.dtype(), {n, k});
  const auto* src = static_cast<const uint8_t*>(w.raw());
  auto* dst = static_cast<uint8_t*>(wt.raw());
  for (int64_t r = 0; r < k; ++r)
    for (int64_t c = 0; c < n; ++c) dst[c * k + r] = src[r * n + c];
  Int8Weights weights;
  if (!prepare_weights(wt, size_t(kQWZp) < in.size() && in[kQWZp].present() ? in[kQWZp].value : nullptr, n, k, k, n,
                       true, weights))
    return nullptr;
  const bool requant = out[0].dtype != DType::kFloat32;
  Int8Epilogue epi = make_epilogue(in, node.attrs_as<QMatMulAttrs>().act, n, 1 << 1, requant);
  try {
    return std::make_unique<QMatMulKernel>(m, k, n, in, std::move(weights), std::move(epi), out[0].dtype);
  } catch (const dnnl::error&) {
    return nullptr;  // a combination this oneDNN build does not implement: the reference kernel runs
  }
}

}  // namespace

std::vector<KernelEntry> qmatmul_kernels() { return {{"com.shrink", "QMatMul", make_qmatmul}}; }

}  // namespace shrink::runtime::onednn
