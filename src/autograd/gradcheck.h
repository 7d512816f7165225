// gradcheck: compares the gradients add_backward builds with central finite differences, both
// evaluated node by node with the reference kernels (use float64 graphs for tight tolerances).
// The loss is sum_i <R_i, y_i> over the graph's float outputs y_i, with seeded random R_i, so
// every output element is checked.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace shrink::autograd {

// Runs g with the reference kernels; returns every value (inputs, initializers, node outputs).
std::map<std::string, Tensor> evaluate_reference(const ir::Graph& g, const std::map<std::string, Tensor>& inputs);

struct GradCheckResult {
  double max_error = 0;   // max over elements of |analytic - numeric| / max(1, |numeric|)
  std::string worst;      // "<input>[<flat index>]: analytic a, numeric n"
  int64_t checked = 0;    // elements compared
};

// `wrt` are graph inputs (of `inputs`) to differentiate; every element of each is checked.
GradCheckResult gradcheck(const ir::Graph& g, const std::vector<std::string>& wrt,
                          const std::map<std::string, Tensor>& inputs, uint64_t seed = 1, double step = 1e-6);

}  // namespace shrink::autograd
