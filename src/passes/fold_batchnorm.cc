// BatchNorm folding: Conv -> BatchNormalization (inference mode, constant parameters) becomes one
// Conv with scaled weights and a new bias: s = gamma / sqrt(var + eps), W' = W * s[oc],
// b' = (b - mean) * s + beta. Computed in double, stored in float32.
#include <cmath>

#include "ir/builder.h"
#include "ops/nn/batch_norm.h"
#include "ops/op.h"
#include "passes/passes.h"

namespace shrink::passes {
namespace {

bool float_init(const ir::Graph& g, const std::string& name, int64_t n) {
  const Tensor* t = g.initializer(name);
  return t && t->dtype() == DType::kFloat32 && t->rank() == 1 && t->dim(0) == n;
}

}  // namespace

ir::Graph fold_batchnorm(ir::Graph g) {
  auto uses = g.use_counts();
  std::vector<bool> removed(g.nodes.size(), false);
  std::map<std::string, size_t> producer = g.producers();
  for (size_t j = 0; j < g.nodes.size(); ++j) {
    ir::Node& bn = g.nodes[j];
    if (bn.op_type != "BatchNormalization" || !bn.domain.empty() || bn.outputs.size() != 1) continue;
    if (bn.attrs_as<ops::BatchNormAttrs>().training_mode) continue;
    auto it = producer.find(bn.inputs[0]);
    if (it == producer.end() || removed[it->second]) continue;
    ir::Node& conv = g.nodes[it->second];
    if (conv.op_type != "Conv" || !conv.domain.empty() || uses[conv.outputs[0]] != 1) continue;
    const Tensor* w = g.initializer(conv.inputs[1]);
    if (!w || w->dtype() != DType::kFloat32 || w->rank() < 3) continue;
    const int64_t oc = w->dim(0);
    if (conv.has_input(2) && !float_init(g, conv.inputs[2], oc)) continue;
    bool params_ok = true;
    for (int k = 1; k <= 4; ++k) params_ok = params_ok && float_init(g, bn.inputs[size_t(k)], oc);
    if (!params_ok) continue;
    const float* gamma = g.initializers.at(bn.inputs[1]).data<float>();
    const float* beta = g.initializers.at(bn.inputs[2]).data<float>();
    const float* mean = g.initializers.at(bn.inputs[3]).data<float>();
    const float* var = g.initializers.at(bn.inputs[4]).data<float>();
    const double eps = bn.attrs_as<ops::BatchNormAttrs>().epsilon;
    const float* bias = conv.has_input(2) ? g.initializers.at(conv.inputs[2]).data<float>() : nullptr;
    Tensor w2(DType::kFloat32, w->shape()), b2(DType::kFloat32, {oc});
    const int64_t per = w->numel() / oc;
    for (int64_t o = 0; o < oc; ++o) {
      const double s = double(gamma[o]) / std::sqrt(double(var[o]) + eps);
      for (int64_t i = 0; i < per; ++i) w2.data<float>()[o * per + i] = float(double(w->data<float>()[o * per + i]) * s);
      b2.data<float>()[o] = float(((bias ? double(bias[o]) : 0.0) - double(mean[o])) * s + double(beta[o]));
    }
    ir::GraphBuilder b(g);
    conv.inputs.resize(3);
    conv.inputs[1] = b.constant(conv.name + ".folded_weight", std::move(w2));
    conv.inputs[2] = b.constant(conv.name + ".folded_bias", std::move(b2));
    conv.outputs[0] = bn.outputs[0];
    removed[j] = true;
  }
  std::vector<ir::Node> nodes;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (!removed[i]) nodes.push_back(std::move(g.nodes[i]));
  g.nodes = std::move(nodes);
  return eliminate_dead_code(std::move(g));
}

}  // namespace shrink::passes
