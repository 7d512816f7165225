// to_training_mode: BatchNorm gets training_mode and running-stat outputs; Dropout becomes
// TrainDropout(x, step).
#include "autograd/training_mode.h"

#include "autograd/grad_context.h"
#include "ops/op.h"

namespace shrink::autograd {
namespace {

float dropout_ratio(const ir::Graph& g, const ir::Node& n) {
  if (auto it = n.attrs.find("ratio"); it != n.attrs.end()) return std::get<float>(it->second);  // opset < 12
  if (!n.has_input(1)) return 0.5f;
  const Tensor* r = g.initializer(n.inputs[1]);
  for (const auto& p : g.nodes)  // or a Constant node's value
    if (!r && p.op_type == "Constant" && p.outputs.size() == 1 && p.outputs[0] == n.inputs[1])
      if (auto it = p.attrs.find("value"); it != p.attrs.end() && std::holds_alternative<Tensor>(it->second))
        r = &std::get<Tensor>(it->second);
  SHRINK_CHECK(r && r->numel() == 1, n.label(), " dropout ratio must be a constant to train");
  return float(r->as_double(0));
}

}  // namespace

TrainingMode to_training_mode(ir::Graph& g, uint64_t seed, bool dropout) {
  TrainingMode tm;
  const int64_t opset = g.opset();
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    ir::Node& n = g.nodes[k];
    if (!n.domain.empty()) continue;
    if (n.op_type == "BatchNormalization") {
      SHRINK_CHECK(n.outputs.size() == 1, n.label(), " is already in training form");
      if (opset >= 14) n.attrs["training_mode"] = int64_t(1);
      for (size_t i : {3, 4}) {
        std::string out = g.fresh_name(n.inputs[i] + ".next");
        n.outputs.push_back(out);
        tm.state_updates.emplace_back(out, n.inputs[i]);
        ir::ValueInfo vi{out, DType::kFloat32, std::nullopt};
        g.outputs.push_back(vi);
      }
      ops::bind(n, opset);
    } else if (n.op_type == "Dropout" && dropout) {
      const float ratio = dropout_ratio(g, n);
      if (tm.step_input.empty()) {
        tm.step_input = g.fresh_name("train_step");
        g.inputs.push_back(ir::ValueInfo{tm.step_input, DType::kInt64, std::vector<ir::Dim>{}});
      }
      ir::Node d;
      d.name = n.name;
      d.op_type = "TrainDropout";
      d.domain = kShrinkDomain;
      d.inputs = {n.inputs[0], tm.step_input};
      d.outputs = {n.outputs[0], n.outputs.size() > 1 && !n.outputs[1].empty() ? n.outputs[1]
                                                                               : g.fresh_name(n.name + "_mask")};
      d.attrs = {{"ratio", ratio}, {"seed", int64_t((seed * 1000003u + k) & 0x7fffffffffffffffULL)}};
      n = d;
      ops::bind(n, opset);
    }
  }
  bool has_trainer_domain = false;
  for (const auto& o : g.opsets) has_trainer_domain = has_trainer_domain || o.domain == kShrinkDomain;
  if (!has_trainer_domain) g.opsets.push_back({kShrinkDomain, 1});
  return tm;
}

}  // namespace shrink::autograd
