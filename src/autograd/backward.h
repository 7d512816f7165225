// Reverse-mode autodiff over the IR: appends to a graph the nodes that compute the gradient of a
// scalar loss with respect to chosen graph inputs, from the per-op rules (grad_context.h).
//   auto grads = add_backward(g, "loss", {"fc.weight", "fc.bias"}, metas);
// Gradients of values used more than once are summed; each requested gradient becomes a graph
// output named "<input>.grad" ("" in the result when the loss does not depend on that input).
#pragma once
#include <string>
#include <vector>

#include "autograd/example_metas.h"

namespace shrink::autograd {

std::vector<std::string> add_backward(ir::Graph& g, const std::string& loss, const std::vector<std::string>& wrt,
                                      const ExampleMetas& metas);

}  // namespace shrink::autograd
