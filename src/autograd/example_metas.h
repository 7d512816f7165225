// Example metas: dtype and shape of every value of a graph for one set of concrete input shapes,
// with the values of everything computable from constants (shape subgraphs, reduction axes).
// Gradient rules read ranks and constant operands from them.
#pragma once
#include <map>
#include <string>

#include "ops/op.h"

namespace shrink::autograd {

class ExampleMetas {
 public:
  // `input_shapes` gives a concrete shape for each graph input that is not an initializer; inputs
  // left out use their declared dims, with every symbolic dim set to `default_dim`.
  ExampleMetas(const ir::Graph& g, const std::map<std::string, Shape>& input_shapes, int64_t default_dim = 2);
  const ops::ValueMeta& at(const std::string& value) const;
  bool has(const std::string& value) const { return metas_.count(value) > 0; }

 private:
  std::map<std::string, ops::ValueMeta> metas_;
  std::map<std::string, Tensor> values_;  // computed constants (stable addresses for ValueMeta::value)
};

}  // namespace shrink::autograd
