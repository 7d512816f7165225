// build_training_graph: model -> training mode -> loss -> backward -> dead-code elimination.
#include "train/training_graph.h"

#include "autograd/backward.h"
#include "autograd/training_mode.h"
#include "passes/passes.h"

namespace shrink::train {
namespace {

std::set<std::string> batchnorm_statistics(const ir::Graph& g) {
  std::set<std::string> s;
  for (const auto& n : g.nodes)
    if (n.domain.empty() && n.op_type == "BatchNormalization")
      for (size_t i : {3, 4})
        if (n.has_input(i)) s.insert(n.inputs[i]);
  return s;
}

ir::ValueInfo info_of(const std::string& name, DType dtype, const Shape& shape) {
  ir::ValueInfo vi{name, dtype, std::vector<ir::Dim>{}};
  for (int64_t d : shape) vi.dims->push_back(ir::Dim{d});
  return vi;
}

}  // namespace

std::vector<std::string> trainable_parameters(const ir::Graph& model, const std::set<std::string>& frozen) {
  for (const auto& f : frozen)
    SHRINK_CHECK(model.is_initializer(f), "frozen parameter '", f, "' is not an initializer of the model");
  const std::set<std::string> stats = batchnorm_statistics(model);
  std::set<std::string> used;
  for (const auto& n : model.nodes)
    for (const auto& v : n.inputs) used.insert(v);
  std::vector<std::string> params;
  for (const auto& [name, t] : model.initializers)
    if (is_float(t.dtype()) && t.numel() > 1 && !stats.count(name) && !frozen.count(name) && used.count(name))
      params.push_back(name);
  return params;
}

TrainingGraph build_training_graph(const ir::Graph& model, const TrainGraphOptions& options, const Shape& example_input) {
  TrainingGraph tg;
  ir::Graph& g = tg.graph;
  g = model;
  ops::bind_all(g);
  std::vector<std::string> data_inputs;
  for (const auto& vi : g.inputs)
    if (!g.is_initializer(vi.name)) data_inputs.push_back(vi.name);
  SHRINK_CHECK(data_inputs.size() == 1, "training needs a model with exactly one data input, this one has ",
               data_inputs.size());
  SHRINK_CHECK(!g.outputs.empty(), "the model has no output");
  tg.data_input = data_inputs[0];
  tg.logits_output = g.outputs[0].name;
  const int64_t batch = example_input.empty() ? 2 : example_input[0];

  tg.params = trainable_parameters(g, options.frozen);
  SHRINK_CHECK(!tg.params.empty(), "the model has nothing to train (no float initializers with more than one "
                                   "element that are not frozen)");
  autograd::TrainingMode tm = autograd::to_training_mode(g, options.seed, options.dropout);
  tg.step_input = tm.step_input;

  // Parameters and running statistics become inputs fed by the trainer.
  auto to_input = [&](const std::string& name) {
    const Tensor t = g.initializers.at(name);
    g.initializers.erase(name);
    g.inputs.push_back(info_of(name, t.dtype(), t.shape()));
  };
  for (const auto& p : tg.params) to_input(p);
  for (const auto& [out, state] : tm.state_updates) {
    to_input(state);
    tg.states.push_back(state);
    tg.state_outputs.push_back(out);
  }

  // The loss.
  tg.label_input = g.fresh_name("labels");
  g.inputs.push_back(ir::ValueInfo{tg.label_input, DType::kInt64, std::vector<ir::Dim>{ir::Dim{-1, "N"}}});
  std::string loss = add_cross_entropy(g, tg.logits_output, tg.label_input, options.cross_entropy);
  std::map<std::string, Shape> shapes{{tg.data_input, example_input}, {tg.label_input, {batch}}};
  if (options.distill) {
    SHRINK_CHECK(options.alpha >= 0.f && options.alpha <= 1.f, "distillation alpha must be in [0, 1], got ",
                 options.alpha);
    tg.teacher_input = g.fresh_name("teacher_logits");
    g.inputs.push_back(ir::ValueInfo{tg.teacher_input, DType::kFloat32, std::nullopt});
    std::string soft = add_distillation_kl(g, tg.logits_output, tg.teacher_input, options.temperature);
    loss = add_weighted_sum(g, soft, options.alpha, loss, 1.f - options.alpha);
  }
  tg.loss_output = loss;
  if (!tg.step_input.empty()) shapes[tg.step_input] = {};

  autograd::ExampleMetas metas0(g, shapes);
  const Shape& logits_shape = metas0.at(tg.logits_output).shape;
  SHRINK_CHECK(logits_shape.size() == 2, "the model's first output '", tg.logits_output,
               "' must be logits of shape [N, classes], got ", shape_str(logits_shape));
  if (options.distill) {
    shapes[tg.teacher_input] = logits_shape;
    g.inputs.back().dims = std::vector<ir::Dim>{ir::Dim{-1, "N"}, ir::Dim{logits_shape[1]}};
  }
  autograd::ExampleMetas metas(g, shapes);
  tg.grad_outputs = autograd::add_backward(g, loss, tg.params, metas);
  // Parameters the loss does not reach (e.g. of another output) go back to being constants.
  std::vector<std::string> params, grads;
  for (size_t i = 0; i < tg.params.size(); ++i) {
    if (!tg.grad_outputs[i].empty()) {
      params.push_back(tg.params[i]);
      grads.push_back(tg.grad_outputs[i]);
      continue;
    }
    g.initializers[tg.params[i]] = model.initializers.at(tg.params[i]);
    std::erase_if(g.inputs, [&](const ir::ValueInfo& vi) { return vi.name == tg.params[i]; });
  }
  SHRINK_CHECK(!params.empty(), "no parameter of the model affects the loss");
  tg.params = params;
  tg.grad_outputs = grads;

  // Outputs: loss, logits, updated statistics, gradients (add_backward appended the gradients).
  std::vector<ir::ValueInfo> outs;
  outs.push_back(info_of(loss, DType::kFloat32, {}));
  outs.push_back(g.outputs[0]);
  for (const auto& s : tg.state_outputs) outs.push_back(ir::ValueInfo{s, DType::kFloat32, std::nullopt});
  for (const auto& vi : g.outputs)
    for (const auto& go : tg.grad_outputs)
      if (vi.name == go) outs.push_back(vi);
  g.outputs = outs;
  g = passes::eliminate_dead_code(std::move(g));
  ir::verify(g);
  return tg;
}

}  // namespace shrink::train
