// Dynamic post-training quantization in the forms ONNX Runtime's quantize_dynamic emits
// (passes/fuse_qoperators.cc maps the constant-weight ones onto the int8 kernels):
//   MatMul / Gemm, constant 2-D weight: DynamicQuantizeLinear(x) -> MatMulInteger(x_q, W_q, x_zp, W_zp)
//     -> Cast(float) -> Mul(Mul(x_scale, W_scale)) [-> Add(bias), Gemm's C]
//   MatMul of two activations (attention's Q K^T and A V): both through DynamicQuantizeLinear,
//     MatMulInteger(a_q, b_q, a_zp, b_zp) -> Cast(float) -> Mul(Mul(a_scale, b_scale))
//   Conv, constant weight (per tensor): DynamicQuantizeLinear(x) -> ConvInteger(x_q, W_q, x_zp, W_zp)
//     -> Cast(float) -> Mul(Mul(x_scale, W_scale)) [-> Add(bias as [1, M, 1, 1])]
//   Embedding tables (Gather data, a position table added to it): int8 behind DequantizeLinear (embedding.h)
#include <array>
#include <map>
#include <tuple>

#include "compress/quant/embedding.h"
#include "compress/quant/quant_graph.h"
#include "compress/quant/quant_params.h"
#include "compress/quant/quantize.h"
#include "core/error.h"
#include "ir/builder.h"
#include "ops/nn/gemm.h"

namespace shrink::compress {
namespace {

// What a quantizable node becomes: the float weight to quantize (none for activation x activation),
// the per-channel axis of it (-1: per tensor), and the float bias to add after rescaling.
struct DynamicOperands {
  bool activations = false;  // MatMul of two non-constant inputs
  Tensor w;
  int64_t axis = -1;
  Tensor bias;
};

bool float_initializer(const ir::Graph& g, const std::string& v, const Tensor*& t) {
  t = g.initializer(v);
  return t && t->dtype() == DType::kFloat32;
}

// The operands of MatMul / Gemm ([K, N] weight, optional bias [N]); false when the node is not of a
// supported form.
bool matmul_operands(const ir::Graph& g, const ir::Node& n, bool per_channel, DynamicOperands& o) {
  if (n.op_type == "MatMul" && !g.is_initializer(n.inputs[0]) && !g.is_initializer(n.inputs[1])) {
    o.activations = true;
    return true;
  }
  const Tensor* t = nullptr;
  if (g.is_initializer(n.inputs[0]) || !float_initializer(g, n.inputs[1], t) || t->rank() != 2) return false;
  o.axis = per_channel ? 1 : -1;
  if (n.op_type == "MatMul") {
    o.w = *t;
    return true;
  }
  const auto& a = n.attrs_as<ops::GemmAttrs>();
  if (a.trans_a || a.alpha != 1.f) return false;
  o.w = a.trans_b ? transpose_2d(*t) : *t;
  if (n.has_input(2)) {
    const Tensor* c = nullptr;
    const int64_t cols = o.w.dim(1);
    if (a.beta != 1.f || !float_initializer(g, n.inputs[2], c) || c->numel() != cols ||
        (c->rank() == 2 && c->dim(0) != 1) || c->rank() > 2)
      return false;
    o.bias = c->reshaped({cols});
  }
  return true;
}

// Conv with a constant weight [M, C/group, k...] and optional bias [M]: per tensor, as ONNX
// Runtime's ConvInteger; the bias is added as [1, M, 1, ...] to the NC... output.
bool conv_operands(const ir::Graph& g, const ir::Node& n, DynamicOperands& o) {
  const Tensor* w = nullptr;
  if (g.is_initializer(n.inputs[0]) || !float_initializer(g, n.inputs[1], w) || w->rank() < 3) return false;
  o.w = *w;
  if (n.has_input(2)) {
    const Tensor* b = nullptr;
    if (!float_initializer(g, n.inputs[2], b) || b->shape() != Shape{w->dim(0)}) return false;
    Shape s(size_t(w->rank()), 1);
    s[1] = w->dim(0);
    o.bias = b->reshaped(s);
  }
  return true;
}

}  // namespace

ir::Graph quantize_dynamic(ir::Graph g, const DynamicQuantConfig& config, QuantReport* report) {
  for (const std::string& op : config.op_types)
    SHRINK_CHECK(op == "MatMul" || op == "Gemm" || op == "Conv" || op == "Gather",
                 "dynamic quantization supports MatMul, Gemm, Conv and Gather, not '", op, "'");
  SHRINK_CHECK(g.opset() >= 11, "dynamic quantization needs opset >= 11 (DynamicQuantizeLinear); the model has ",
               g.opset());
  prepare_graph(g);
  QuantReport r;
  r.bytes_before = initializer_bytes(g);
  ir::GraphBuilder b(g);
  std::map<std::string, std::vector<std::string>> dynamic_q;  // x -> DynamicQuantizeLinear outputs
  auto quantized_input = [&](const std::string& x) -> const std::vector<std::string>& {
    auto dq = dynamic_q.find(x);
    if (dq == dynamic_q.end())
      dq = dynamic_q.emplace(x, b.node("DynamicQuantizeLinear", {x}, {}, x + "_QuantizeLinear", 3)).first;
    return dq->second;
  };
  // A weight read by several nodes (shared layers) is quantized once: (weight, transposed, per
  // channel) -> q, scale, zp.
  std::map<std::tuple<std::string, bool, int64_t>, std::vector<std::string>> weights_q;
  const size_t original = g.nodes.size();
  std::vector<bool> replaced(original, false);
  for (size_t i = 0; i < original; ++i) {
    const ir::Node n = g.nodes[i];
    if (!n.domain.empty() || !config.op_types.count(n.op_type) || n.op_type == "Gather" || n.inputs.size() < 2)
      continue;
    DynamicOperands o;
    const bool conv = n.op_type == "Conv";
    if (config.exclude.count(n.name) ||
        !(conv ? conv_operands(g, n, o) : matmul_operands(g, n, config.per_channel, o))) {
      ++r.skipped[n.op_type];
      continue;
    }
    const std::vector<std::string> x = quantized_input(n.inputs[0]);
    std::vector<std::string> w;
    if (o.activations) {
      w = quantized_input(n.inputs[1]);
    } else {
      const bool transposed = n.op_type == "Gemm" && n.attrs_as<ops::GemmAttrs>().trans_b;
      const auto key = std::make_tuple(n.inputs[1], transposed, o.axis);
      auto it = weights_q.find(key);
      if (it == weights_q.end()) {
        const QuantizedWeight qw = quantize_weight(o.w, o.axis, config.reduce_range, config.weight_scale);
        r.weight_bytes_before += int64_t(g.initializers.at(n.inputs[1]).nbytes());
        r.weight_bytes_after += int64_t(qw.q.nbytes() + qw.scale.nbytes() + qw.zp.nbytes());
        it = weights_q
                 .emplace(key, std::vector<std::string>{b.constant(n.inputs[1] + "_quantized", qw.q),
                                                        b.constant(n.inputs[1] + "_scale", qw.scale),
                                                        b.constant(n.inputs[1] + "_zero_point", qw.zp)})
                 .first;
      }
      w = it->second;
    }
    const std::string acc = conv ? b.op("ConvInteger", {x[0], w[0], x[2], w[2]}, n.attrs, n.name + "_ConvInteger")
                                 : b.op("MatMulInteger", {x[0], w[0], x[2], w[2]}, {}, n.name + "_MatMulInteger");
    const std::string f = b.op("Cast", {acc}, {{"to", int64_t(DType::kFloat32)}}, n.name + "_output_cast");
    const std::string scales = b.op("Mul", {x[1], w[1]}, {}, n.name + "_scales_mul");
    std::string y = b.op("Mul", {f, scales}, {}, n.name + "_output_scale_mul");
    if (o.bias.defined()) y = b.op("Add", {y, b.constant(n.name + "_bias", o.bias)}, {}, n.name + "_bias_add");
    g.nodes.back().outputs[0] = n.outputs[0];
    replaced[i] = true;
    ++r.quantized[n.op_type];
  }
  if (config.op_types.count("Gather")) quantize_embeddings(g, config.exclude, config.weight_scale, r);
  finish_graph(g, replaced);
  r.bytes_after = initializer_bytes(g);
  if (report) *report = std::move(r);
  return g;
}

}  // namespace shrink::compress
