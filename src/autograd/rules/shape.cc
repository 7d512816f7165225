// Gradient rules of the data-movement ops: reshapes give the gradient the input's shape back,
// Transpose applies the inverse permutation, Concat/Split/Slice/Gather route it to where each
// element came from.
#include "autograd/rules/rules.h"

#include <numeric>

namespace shrink::autograd::rules {

// Reshape, Flatten, Squeeze, Unsqueeze (data input 0; any shape/axes input gets no gradient).
std::vector<std::string> reshape(GradContext& c) {
  std::vector<std::string> g(c.node.inputs.size());
  g[0] = c.reshape_like(c.dy[0], 0);
  return g;
}

std::vector<std::string> transpose(GradContext& c) {
  const size_t r = c.rank(0);
  std::vector<int64_t> perm(r);
  auto it = c.node.attrs.find("perm");
  if (it != c.node.attrs.end()) perm = std::get<std::vector<int64_t>>(it->second);
  else for (size_t i = 0; i < r; ++i) perm[i] = int64_t(r - 1 - i);
  std::vector<int64_t> inverse(r);
  for (size_t i = 0; i < r; ++i) inverse[size_t(perm[i])] = int64_t(i);
  return {c.emit("Transpose", {c.dy[0]}, {{"perm", inverse}})};
}

std::vector<std::string> concat(GradContext& c) {
  auto outs = c.emit_n("ConcatGrad", [&] {
    std::vector<std::string> in = {c.dy[0]};
    for (const auto& x : c.node.inputs) in.push_back(x);
    return in;
  }(), {{"axis", c.node.attrs.at("axis")}}, int(c.node.inputs.size()), kShrinkDomain);
  for (size_t i = 0; i < outs.size(); ++i)
    if (!c.needs[i]) outs[i].clear();
  return outs;
}

std::vector<std::string> split(GradContext& c) {
  int64_t axis = 0;
  auto it = c.node.attrs.find("axis");
  if (it != c.node.attrs.end()) axis = std::get<int64_t>(it->second);
  std::vector<std::string> parts;
  for (size_t i = 0; i < c.node.outputs.size(); ++i) {
    if (!c.dy[i].empty()) {
      parts.push_back(c.dy[i]);
      continue;
    }
    // An unused piece contributes zeros of its shape.
    Tensor zero(c.out[i].dtype, {1});
    parts.push_back(c.emit("ConstantOfShape", {c.emit("Shape", {c.y(i)})}, {{"value", zero}}));
  }
  std::vector<std::string> g(c.node.inputs.size());
  g[0] = c.emit("Concat", parts, {{"axis", axis}});
  return g;
}

std::vector<std::string> slice(GradContext& c) {
  std::vector<std::string> in = {c.dy[0]};
  for (const auto& x : c.node.inputs) in.push_back(x);
  std::vector<std::string> g(c.node.inputs.size());
  g[0] = c.grad_op("SliceGrad", in);
  return g;
}

std::vector<std::string> gather(GradContext& c) {
  return {c.grad_op("GatherGrad", {c.dy[0], c.x(1), c.x(0)}, c.forward_attrs({"axis"})), ""};
}

}  // namespace shrink::autograd::rules
