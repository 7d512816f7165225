// GradContext: emission helpers shared by the gradient rules.
#include "autograd/grad_context.h"

#include <numeric>

namespace shrink::autograd {

GradContext::GradContext(ir::Graph& g, const ir::Node& n, std::vector<ops::ValueMeta> in_metas,
                         std::vector<ops::ValueMeta> out_metas, std::vector<std::string> grads,
                         std::vector<bool> needs_grad)
    : node(n), in(std::move(in_metas)), out(std::move(out_metas)), dy(std::move(grads)),
      needs(std::move(needs_grad)), b_(g), opset_(g.opset()) {}

std::vector<std::string> GradContext::emit_n(const std::string& op_type, std::vector<std::string> inputs,
                                             ir::AttributeMap attrs, int n_outputs, const std::string& domain) {
  std::string base = (node.name.empty() ? node.op_type : node.name) + "_grad_" + op_type;
  auto outs = b_.node(op_type, std::move(inputs), std::move(attrs), base, n_outputs, domain);
  ir::Node& added = b_.graph().nodes.back();
  ops::bind(added, opset_);
  return outs;
}

std::string GradContext::scalar(double v, DType dtype) {
  Tensor t(dtype, {});
  if (dtype == DType::kFloat32) *t.data<float>() = float(v);
  else if (dtype == DType::kFloat64) *t.data<double>() = v;
  else if (dtype == DType::kInt64) *t.data<int64_t>() = int64_t(v);
  else unsupported("gradients of " + std::string(dtype_name(dtype)) + " values");
  return b_.constant(node.name + "_grad_const", std::move(t));
}

std::string GradContext::ints(const std::vector<int64_t>& v) {
  return b_.constant(node.name + "_grad_ints", Tensor::from_vector(v, {int64_t(v.size())}));
}

std::string GradContext::sum_to(const std::string& g, const Shape& g_shape, size_t i) {
  if (g_shape == in[i].shape) return g;
  return grad_op("SumToShape", {g, x(i)});
}

std::string GradContext::reshape_like(const std::string& g, size_t i) {
  return emit("Reshape", {g, emit("Shape", {x(i)})});
}

std::string GradContext::transpose_last2(const std::string& v, size_t rank) {
  std::vector<int64_t> perm(rank);
  std::iota(perm.begin(), perm.end(), 0);
  std::swap(perm[rank - 1], perm[rank - 2]);
  return emit("Transpose", {v}, {{"perm", perm}});
}

ir::AttributeMap GradContext::forward_attrs(std::initializer_list<const char*> keys) const {
  ir::AttributeMap a;
  for (const char* key : keys)
    if (auto it = node.attrs.find(key); it != node.attrs.end()) a[key] = it->second;
  return a;
}

void GradContext::unsupported(const std::string& why) const {
  fail_input(node.label(), " cannot be differentiated: ", why);
}

}  // namespace shrink::autograd
