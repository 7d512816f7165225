// LayerBuilder: the PyTorch-style layers the model zoo is made of (Linear, Conv2d, BatchNorm2d,
// LayerNorm, Dropout, ...) emitted as standard ONNX nodes, with PyTorch's default initialization drawn
// from a per-parameter stream seeded by (seed, name), so a weight depends only on the seed and its name.
// A counting builder creates no tensors: it sizes a model before anything is allocated.
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/rng.h"
#include "ir/graph.h"
#include "train/models/model_zoo.h"

namespace shrink::train {

class LayerBuilder {
 public:
  LayerBuilder(ir::Graph& g, uint64_t seed, bool count_only);

  // Trainable parameters: U(-bound, bound), N(0, std), or a constant fill.
  std::string uniform_param(const std::string& name, Shape shape, float bound);
  std::string normal_param(const std::string& name, Shape shape, float std);
  std::string filled_param(const std::string& name, Shape shape, float value);
  // A non-trainable state tensor (BatchNorm running statistics).
  std::string buffer(const std::string& name, Shape shape, float value);
  // A Constant node (shapes, scalars): neither parameter nor buffer. Made once per name and shared
  // by every later request for that name.
  std::string constant(const std::string& name, Tensor value);
  std::string scalar(const std::string& name, float value) { return constant(name, Tensor::scalar(value)); }
  // Appends a node named `name` (made unique); returns its output `<name>_out`.
  std::string op(const std::string& op_type, std::vector<std::string> inputs, ir::AttributeMap attrs,
                 const std::string& name);

  // nn.Linear on [N, in] as Gemm(transB=1), weight [out, in].
  std::string linear(const std::string& x, int64_t in, int64_t out, const std::string& name);
  // nn.Linear on [..., in] as MatMul + Add, weight stored [in, out] (as PyTorch's exporter does).
  std::string linear_matmul(const std::string& x, int64_t in, int64_t out, const std::string& name);
  // nn.Conv2d(cin, cout, k, stride, padding=k/2, groups, bias).
  std::string conv(const std::string& x, int64_t cin, int64_t cout, int64_t kernel, int64_t stride,
                   int64_t groups, bool bias, const std::string& name);
  // nn.BatchNorm2d(c) in inference form (eps 1e-5, torch momentum 0.1 = ONNX momentum 0.9).
  std::string batch_norm(const std::string& x, int64_t c, const std::string& name);
  // nn.LayerNorm(d) over the last axis (eps 1e-5).
  std::string layer_norm(const std::string& x, int64_t d, const std::string& name);
  // nn.Dropout(ratio): inference semantics unless a trainer sets training_mode.
  std::string dropout(const std::string& x, float ratio, const std::string& name);
  std::string relu(const std::string& x, const std::string& name) { return op("Relu", {x}, {}, name); }
  // ReLU6 as Clip(x, 0, 6).
  std::string relu6(const std::string& x, const std::string& name);
  // Exact GELU as x * 0.5 * (1 + Erf(x / sqrt(2))).
  std::string gelu(const std::string& x, const std::string& name);
  std::string max_pool(const std::string& x, int64_t k, const std::string& name);
  // GlobalAveragePool -> Flatten: [N, C, H, W] -> [N, C].
  std::string global_avg_pool(const std::string& x, const std::string& name);

  int64_t parameters() const { return parameters_; }

 private:
  Tensor make(Shape shape);
  std::string add_initializer(const std::string& name, Tensor t);
  // `hint`, or `hint_<k>` if taken. Kept here (not ir::GraphBuilder, which rescans the graph per
  // name) so that building stays linear in the model size.
  std::string unique(const std::string& hint);
  ir::Graph& g_;
  uint64_t seed_;
  bool count_only_;
  int64_t parameters_ = 0;
  std::map<std::string, std::string> constants_;  // name -> value
  std::set<std::string> used_;                    // node, value and initializer names
};

}  // namespace shrink::train
