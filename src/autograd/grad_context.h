// GradContext: what a gradient rule sees of one forward node (its inputs, outputs, their example
// metas, the incoming output gradients) and how it emits backward nodes into the training graph.
// Rules only use ranks and dtypes of the example metas (dims may be symbolic at run time), and
// fixed dims of parameters.
#pragma once
#include <string>
#include <vector>

#include "ir/builder.h"
#include "ops/op.h"

namespace shrink::autograd {

inline constexpr const char* kShrinkDomain = "com.shrink";

class GradContext {
 public:
  GradContext(ir::Graph& g, const ir::Node& node, std::vector<ops::ValueMeta> in, std::vector<ops::ValueMeta> out,
              std::vector<std::string> dy, std::vector<bool> needs);

  const ir::Node& node;
  const std::vector<ops::ValueMeta> in, out;  // example metas of the forward inputs / outputs
  const std::vector<std::string> dy;          // gradient of each output ("" = none flows back)
  const std::vector<bool> needs;              // whether input i needs a gradient

  const std::string& x(size_t i) const { return node.inputs[i]; }
  const std::string& y(size_t i) const { return node.outputs[i]; }
  size_t rank(size_t i) const { return in[i].shape.size(); }
  DType dtype(size_t i) const { return in[i].dtype; }
  int64_t opset() const { return opset_; }

  // Emits a node (default domain unless `domain` given) and returns its outputs.
  std::vector<std::string> emit_n(const std::string& op_type, std::vector<std::string> inputs, ir::AttributeMap attrs,
                                  int n_outputs, const std::string& domain = "");
  std::string emit(const std::string& op_type, std::vector<std::string> inputs, ir::AttributeMap attrs = {},
                   const std::string& domain = "") {
    return emit_n(op_type, std::move(inputs), std::move(attrs), 1, domain)[0];
  }
  // A com.shrink gradient op.
  std::string grad_op(const std::string& op_type, std::vector<std::string> inputs, ir::AttributeMap attrs = {}) {
    return emit(op_type, std::move(inputs), std::move(attrs), kShrinkDomain);
  }
  // Constants added as initializers: a scalar of `dtype`, a 1-D int64 vector.
  std::string scalar(double v, DType dtype);
  std::string ints(const std::vector<int64_t>& v);
  // g (a gradient whose shape is `g_shape`) reduced to the shape of input i where broadcasting
  // made them differ.
  std::string sum_to(const std::string& g, const Shape& g_shape, size_t i);
  // Reshape(g, Shape(input i)).
  std::string reshape_like(const std::string& g, size_t i);
  // Transpose swapping the last two of `rank` dims.
  std::string transpose_last2(const std::string& v, size_t rank);
  // The forward node's attributes among `keys` (those it sets), to give a gradient op the same
  // configuration; the gradient op parses them with the forward op's parser.
  ir::AttributeMap forward_attrs(std::initializer_list<const char*> keys) const;
  // Fails (bad input) naming the node: the op cannot be differentiated in this configuration.
  [[noreturn]] void unsupported(const std::string& why) const;

 private:
  ir::GraphBuilder b_;
  int64_t opset_;
};

// A gradient rule returns one gradient per forward input ("" where none is needed or defined).
using GradRule = std::vector<std::string> (*)(GradContext& c);

// Rule for the node's (domain, op_type); null when the op has none.
GradRule find_grad_rule(const std::string& domain, const std::string& op_type);
// Op types (default domain) with a rule, for docs and tests.
std::vector<std::string> differentiable_ops();

}  // namespace shrink::autograd
