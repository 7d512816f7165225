// LayerBuilder: PyTorch-default initialization and the ONNX spelling of each layer.
#include "train/models/layers.h"

#include <cmath>
#include <cstdio>

namespace shrink::train {
namespace {

using Ints = std::vector<int64_t>;

// FNV-1a of the parameter name, mixed with the seed: each parameter gets its own stream.
uint64_t stream_seed(uint64_t seed, const std::string& name) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : name) h = (h ^ c) * 0x100000001b3ull;
  return Rng(seed ^ h).next_u64();
}

// PyTorch's kaiming_uniform_(a=sqrt(5)) and its bias init both reduce to U(-1/sqrt(fan_in), ..).
float default_bound(int64_t fan_in) { return 1.f / std::sqrt(float(fan_in)); }

}  // namespace

LayerBuilder::LayerBuilder(ir::Graph& g, uint64_t seed, bool count_only) : g_(g), seed_(seed), count_only_(count_only) {
  for (const auto& v : g.inputs) used_.insert(v.name);
  for (const auto& [name, t] : g.initializers) used_.insert(name);
  for (const auto& n : g.nodes) {
    used_.insert(n.name);
    used_.insert(n.outputs.begin(), n.outputs.end());
  }
}

std::string LayerBuilder::unique(const std::string& hint) {
  if (used_.insert(hint).second) return hint;
  for (int k = 1;; ++k)
    if (std::string c = hint + "_" + std::to_string(k); used_.insert(c).second) return c;
}

std::string LayerBuilder::add_initializer(const std::string& name, Tensor t) {
  std::string n = unique(name);
  g_.initializers.emplace(n, std::move(t));
  return n;
}

std::string LayerBuilder::op(const std::string& op_type, std::vector<std::string> inputs, ir::AttributeMap attrs,
                             const std::string& name) {
  ir::Node n;
  n.op_type = op_type;
  n.name = unique(name);
  n.inputs = std::move(inputs);
  n.attrs = std::move(attrs);
  n.outputs.push_back(unique(n.name + "_out"));
  g_.nodes.push_back(std::move(n));
  return g_.nodes.back().outputs[0];
}

Tensor LayerBuilder::make(Shape shape) {
  // Counting: a zero-size placeholder keeps names and nodes identical to the real build.
  return count_only_ ? Tensor(DType::kFloat32, {0}) : Tensor(DType::kFloat32, std::move(shape));
}

std::string LayerBuilder::uniform_param(const std::string& name, Shape shape, float bound) {
  parameters_ += checked_numel(shape);
  Tensor t = make(shape);
  Rng rng(stream_seed(seed_, name));
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = rng.uniform(-bound, bound);
  return add_initializer(name, std::move(t));
}

std::string LayerBuilder::normal_param(const std::string& name, Shape shape, float std) {
  parameters_ += checked_numel(shape);
  Tensor t = make(shape);
  Rng rng(stream_seed(seed_, name));
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = std * float(rng.normal());
  return add_initializer(name, std::move(t));
}

std::string LayerBuilder::filled_param(const std::string& name, Shape shape, float value) {
  parameters_ += checked_numel(shape);
  Tensor t = make(shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = value;
  return add_initializer(name, std::move(t));
}

std::string LayerBuilder::buffer(const std::string& name, Shape shape, float value) {
  Tensor t = make(shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = value;
  return add_initializer(name, std::move(t));
}

std::string LayerBuilder::constant(const std::string& name, Tensor value) {
  auto [it, added] = constants_.try_emplace(name);
  if (added) it->second = op("Constant", {}, {{"value", std::move(value)}}, name);
  return it->second;
}

std::string LayerBuilder::linear(const std::string& x, int64_t in, int64_t out, const std::string& name) {
  const float bound = default_bound(in);
  auto w = uniform_param(name + ".weight", {out, in}, bound);
  auto bias = uniform_param(name + ".bias", {out}, bound);
  return op("Gemm", {x, w, bias}, {{"transB", int64_t(1)}}, name);
}

std::string LayerBuilder::linear_matmul(const std::string& x, int64_t in, int64_t out, const std::string& name) {
  const float bound = default_bound(in);
  auto w = uniform_param(name + ".weight", {in, out}, bound);
  auto bias = uniform_param(name + ".bias", {out}, bound);
  return op("Add", {op("MatMul", {x, w}, {}, name), bias}, {}, name + ".add");
}

std::string LayerBuilder::conv(const std::string& x, int64_t cin, int64_t cout, int64_t kernel, int64_t stride,
                               int64_t groups, bool bias, const std::string& name) {
  const int64_t fan_in = cin / groups * kernel * kernel;
  const float bound = default_bound(fan_in);
  std::vector<std::string> inputs{x, uniform_param(name + ".weight", {cout, cin / groups, kernel, kernel}, bound)};
  if (bias) inputs.push_back(uniform_param(name + ".bias", {cout}, bound));
  const int64_t pad = kernel / 2;
  ir::AttributeMap attrs{{"kernel_shape", Ints{kernel, kernel}},
                         {"pads", Ints{pad, pad, pad, pad}},
                         {"strides", Ints{stride, stride}}};
  if (groups != 1) attrs["group"] = groups;
  return op("Conv", std::move(inputs), std::move(attrs), name);
}

std::string LayerBuilder::batch_norm(const std::string& x, int64_t c, const std::string& name) {
  auto scale = filled_param(name + ".weight", {c}, 1.f);
  auto bias = filled_param(name + ".bias", {c}, 0.f);
  auto mean = buffer(name + ".running_mean", {c}, 0.f);
  auto var = buffer(name + ".running_var", {c}, 1.f);
  return op("BatchNormalization", {x, scale, bias, mean, var}, {{"epsilon", 1e-5f}, {"momentum", 0.9f}}, name);
}

std::string LayerBuilder::layer_norm(const std::string& x, int64_t d, const std::string& name) {
  auto scale = filled_param(name + ".weight", {d}, 1.f);
  auto bias = filled_param(name + ".bias", {d}, 0.f);
  return op("LayerNormalization", {x, scale, bias}, {{"axis", int64_t(-1)}, {"epsilon", 1e-5f}}, name);
}

std::string LayerBuilder::dropout(const std::string& x, float ratio, const std::string& name) {
  char key[32];
  std::snprintf(key, sizeof key, "dropout.p%g", double(ratio));
  return op("Dropout", {x, scalar(key, ratio)}, {}, name);
}

std::string LayerBuilder::relu6(const std::string& x, const std::string& name) {
  return op("Clip", {x, scalar("relu6.min", 0.f), scalar("relu6.max", 6.f)}, {}, name);
}

std::string LayerBuilder::gelu(const std::string& x, const std::string& name) {
  auto scaled = op("Div", {x, scalar("gelu.sqrt2", std::sqrt(2.f))}, {}, name + ".div");
  auto erf = op("Erf", {scaled}, {}, name + ".erf");
  auto one_plus = op("Add", {erf, scalar("gelu.one", 1.f)}, {}, name + ".add");
  auto prod = op("Mul", {x, one_plus}, {}, name + ".mul");
  return op("Mul", {prod, scalar("gelu.half", 0.5f)}, {}, name + ".half_mul");
}

std::string LayerBuilder::max_pool(const std::string& x, int64_t k, const std::string& name) {
  return op("MaxPool", {x}, {{"kernel_shape", Ints{k, k}}, {"strides", Ints{k, k}}}, name);
}

std::string LayerBuilder::global_avg_pool(const std::string& x, const std::string& name) {
  return op("Flatten", {op("GlobalAveragePool", {x}, {}, name)}, {}, name + ".flatten");
}

}  // namespace shrink::train
