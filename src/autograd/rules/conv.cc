// Gradient rules of Conv and ConvTranspose, on the com.shrink ConvGradInput / ConvGradWeight
// ops (oneDNN backward-data / backward-weights primitives at run time). ConvTranspose is the
// adjoint of a Conv, so its input gradient is a plain Conv and its weight gradient a
// ConvGradWeight with the roles of input and output swapped.
#include "autograd/rules/rules.h"

namespace shrink::autograd::rules {
namespace {

ir::AttributeMap conv_attrs(const GradContext& c) {
  return c.forward_attrs({"kernel_shape", "strides", "pads", "dilations", "group", "auto_pad"});
}

}  // namespace

std::vector<std::string> conv(GradContext& c) {
  std::vector<std::string> g(c.node.inputs.size());
  const ir::AttributeMap attrs = conv_attrs(c);
  if (c.needs[0]) g[0] = c.grad_op("ConvGradInput", {c.dy[0], c.x(1), c.x(0)}, attrs);
  const bool bias = c.node.has_input(2) && c.needs[2];
  if (c.needs[1] || bias) {
    auto outs = c.emit_n("ConvGradWeight", {c.dy[0], c.x(0), c.x(1)}, attrs, bias ? 2 : 1, kShrinkDomain);
    if (c.needs[1]) g[1] = outs[0];
    if (bias) g[2] = outs[1];
  }
  return g;
}

std::vector<std::string> conv_transpose(GradContext& c) {
  for (const char* key : {"output_shape", "auto_pad"})
    if (c.node.attrs.count(key)) c.unsupported(std::string("ConvTranspose with ") + key + " (give explicit pads)");
  std::vector<std::string> g(c.node.inputs.size());
  const ir::AttributeMap attrs = conv_attrs(c);
  // Y = ConvT(X, W): X = Conv-shaped "output" of Y under the same geometry.
  if (c.needs[0]) g[0] = c.emit("Conv", {c.dy[0], c.x(1)}, attrs);
  if (c.needs[1]) g[1] = c.grad_op("ConvGradWeight", {c.x(0), c.dy[0], c.x(1)}, attrs);
  if (c.node.has_input(2) && c.needs[2]) {
    // dB[m] = sum of dY[:, m, ...]: sum to the bias viewed as [M, 1, ..., 1].
    std::vector<int64_t> like_shape(c.out[0].shape.size() - 1, 1);
    like_shape[0] = c.in[2].shape[0];
    std::string like = c.emit("Reshape", {c.x(2), c.ints(like_shape)});
    std::string s = c.grad_op("SumToShape", {c.dy[0], like});
    g[2] = c.emit("Reshape", {s, c.ints({c.in[2].shape[0]})});
  }
  return g;
}

}  // namespace shrink::autograd::rules
