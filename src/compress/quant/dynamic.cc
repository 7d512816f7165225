// Dynamic post-training quantization of MatMul / Gemm with constant 2-D weights, in the form ONNX
// Runtime's quantize_dynamic emits (passes/fuse_qoperators.cc maps it onto the int8 kernels):
//   DynamicQuantizeLinear(x) -> MatMulInteger(x_q, W_q, x_zp, W_zp) -> Cast(float)
//     -> Mul(Mul(x_scale, W_scale)) [-> Add(bias), Gemm's C]
#include <array>
#include <map>

#include "compress/quant/quant_graph.h"
#include "compress/quant/quant_params.h"
#include "compress/quant/quantize.h"
#include "core/error.h"
#include "ir/builder.h"
#include "ops/nn/gemm.h"

namespace shrink::compress {
namespace {

// The [K, N] float weight of a quantizable node and its optional float bias [N]; false when the
// node is not of the supported form.
bool dynamic_operands(const ir::Graph& g, const ir::Node& n, Tensor& w, std::string& bias) {
  if (n.inputs.size() < 2 || g.is_initializer(n.inputs[0])) return false;
  const Tensor* t = g.initializer(n.inputs[1]);
  if (!t || t->dtype() != DType::kFloat32 || t->rank() != 2) return false;
  if (n.op_type == "MatMul") {
    w = *t;
    return true;
  }
  const auto& a = n.attrs_as<ops::GemmAttrs>();
  if (a.trans_a || a.alpha != 1.f) return false;
  w = a.trans_b ? transpose_2d(*t) : *t;
  if (n.has_input(2)) {
    const Tensor* c = g.initializer(n.inputs[2]);
    const int64_t cols = w.dim(1);
    if (a.beta != 1.f || !c || c->dtype() != DType::kFloat32 || c->numel() != cols ||
        (c->rank() == 2 && c->dim(0) != 1) || c->rank() > 2)
      return false;
    bias = n.inputs[2];
  }
  return true;
}

}  // namespace

ir::Graph quantize_dynamic(ir::Graph g, const DynamicQuantConfig& config, QuantReport* report) {
  for (const std::string& op : config.op_types)
    SHRINK_CHECK(op == "MatMul" || op == "Gemm", "dynamic quantization supports MatMul and Gemm, not '", op, "'");
  SHRINK_CHECK(g.opset() >= 11, "dynamic quantization needs opset >= 11 (DynamicQuantizeLinear); the model has ",
               g.opset());
  prepare_graph(g);
  QuantReport r;
  r.bytes_before = initializer_bytes(g);
  ir::GraphBuilder b(g);
  std::map<std::string, std::vector<std::string>> dynamic_q;  // x -> DynamicQuantizeLinear outputs
  // A weight read by several nodes (shared layers) is quantized once: (weight, transposed) -> q, scale, zp.
  std::map<std::pair<std::string, bool>, std::array<std::string, 3>> weights_q;
  const size_t original = g.nodes.size();
  std::vector<bool> replaced(original, false);
  for (size_t i = 0; i < original; ++i) {
    const ir::Node n = g.nodes[i];
    if (!n.domain.empty() || !config.op_types.count(n.op_type)) continue;
    Tensor w;
    std::string bias;
    if (config.exclude.count(n.name) || !dynamic_operands(g, n, w, bias)) {
      ++r.skipped[n.op_type];
      continue;
    }
    const bool transposed = n.op_type == "Gemm" && n.attrs_as<ops::GemmAttrs>().trans_b;
    auto wq_it = weights_q.find({n.inputs[1], transposed});
    if (wq_it == weights_q.end()) {
      const QuantizedWeight qw = quantize_weight(w, config.per_channel ? 1 : -1, config.reduce_range);
      r.weight_bytes_before += int64_t(g.initializers.at(n.inputs[1]).nbytes());
      r.weight_bytes_after += int64_t(qw.q.nbytes() + qw.scale.nbytes() + qw.zp.nbytes());
      wq_it = weights_q
                  .emplace(std::pair{n.inputs[1], transposed},
                           std::array<std::string, 3>{b.constant(n.inputs[1] + "_quantized", qw.q),
                                                      b.constant(n.inputs[1] + "_scale", qw.scale),
                                                      b.constant(n.inputs[1] + "_zero_point", qw.zp)})
                  .first;
    }
    const auto& [wq, ws, wz] = wq_it->second;
    const std::string& x = n.inputs[0];
    auto dq = dynamic_q.find(x);
    if (dq == dynamic_q.end())
      dq = dynamic_q.emplace(x, b.node("DynamicQuantizeLinear", {x}, {}, x + "_QuantizeLinear", 3)).first;
    const std::string &xq = dq->second[0], &xs = dq->second[1], &xz = dq->second[2];
    const std::string acc = b.op("MatMulInteger", {xq, wq, xz, wz}, {}, n.name + "_MatMulInteger");
    const std::string f = b.op("Cast", {acc}, {{"to", int64_t(DType::kFloat32)}}, n.name + "_output_cast");
    const std::string scales = b.op("Mul", {xs, ws}, {}, n.name + "_scales_mul");
    std::string y = b.op("Mul", {f, scales}, {}, n.name + "_output_scale_mul");
    if (!bias.empty()) {
      const Tensor& c = g.initializers.at(bias);
      const std::string flat = c.rank() == 1 ? bias : b.constant(bias + "_flat", c.reshaped({c.numel()}));
      y = b.op("Add", {y, flat}, {}, n.name + "_bias_add");
    }
    g.nodes.back().outputs[0] = n.outputs[0];
    replaced[i] = true;
    ++r.quantized[n.op_type];
  }
  finish_graph(g, replaced);
  r.bytes_after = initializer_bytes(g);
  if (report) *report = std::move(r);
  return g;
}

}  // namespace shrink::compress
