// Cross-layer equalization: find the layer pairs (through single-reader, positive-homogeneous ops),
// then sweep over them rescaling channels until the scales settle. Clip with a finite bound (ReLU6)
// is not positive-homogeneous (min(x / s, 6) != min(x, 6) / s), so such pairs are reported and left
// alone rather than changing the float model as AIMET's ReLU6 -> ReLU replacement does.
#include "compress/quant/equalize.h"

#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "compress/quant/quant_graph.h"
#include "ops/nn/conv.h"
#include "ops/nn/gemm.h"
#include "ops/unary/activation.h"
#include "passes/passes.h"

namespace shrink::compress {
namespace {

// A Conv / Gemm / MatMul with a constant float weight, seen as one end of an equalized pair.
struct Layer {
  size_t node = 0;
  std::string weight, bias;     // initializer names (bias may be empty)
  int64_t out_axis = -1;        // weight axis of the output channels (-1: cannot be the first layer)
  int64_t in_axis = -1;         // weight axis of the input channels (-1: cannot be the second layer)
  int64_t out_channels = 0, in_channels = 0;
  std::string out;              // the value the next op reads (MatMul: its bias Add's output)
};

bool float_const(const ir::Graph& g, const std::string& v) {
  const Tensor* t = g.initializer(v);
  return t && t->dtype() == DType::kFloat32;
}

// Readers of each value, and whether it is a graph output.
struct Uses {
  std::map<std::string, std::vector<size_t>> readers;
  std::map<std::string, int> counts;
  std::set<std::string> outputs;
  explicit Uses(const ir::Graph& g) : counts(g.use_counts()) {
    for (size_t i = 0; i < g.nodes.size(); ++i)
      for (const auto& in : g.nodes[i].inputs)
        if (!in.empty()) readers[in].push_back(i);
    for (const auto& o : g.outputs) outputs.insert(o.name);
  }
  // The one node reading v (and nothing else: no graph output), or -1.
  int64_t only_reader(const std::string& v) const {
    auto r = readers.find(v);
    if (r == readers.end() || r->second.size() != 1 || outputs.count(v)) return -1;
    return int64_t(r->second[0]);
  }
};

bool describe(const ir::Graph& g, const Uses& uses, size_t i, Layer& l) {
  const ir::Node& n = g.nodes[i];
  if (!n.domain.empty() || n.inputs.size() < 2 || !float_const(g, n.inputs[1])) return false;
  if (uses.counts.at(n.inputs[1]) != 1) return false;  // a shared weight would change elsewhere too
  const Tensor& w = g.initializers.at(n.inputs[1]);
  l = Layer{.node = i, .weight = n.inputs[1], .out = n.outputs[0]};
  if (n.op_type == "Conv") {
    if (w.rank() < 3) return false;
    const int64_t group = n.attrs_as<ops::ConvAttrs>().group;
    l.out_axis = 0;
    l.out_channels = w.dim(0);
    if (group == 1) l.in_axis = 1, l.in_channels = w.dim(1);
    else if (group == w.dim(0) && w.dim(1) == 1) l.in_axis = 0, l.in_channels = w.dim(0);  // depthwise
    if (n.has_input(2)) l.bias = n.inputs[2];
  } else if (n.op_type == "Gemm" || n.op_type == "MatMul") {
    if (w.rank() != 2) return false;
    bool trans_b = false;
    if (n.op_type == "Gemm") {
      const auto& a = n.attrs_as<ops::GemmAttrs>();
      if (a.trans_a) return false;
      trans_b = a.trans_b;
      if (n.has_input(2)) l.bias = n.inputs[2];
    }
    l.out_axis = trans_b ? 0 : 1;
    l.in_axis = trans_b ? 1 : 0;
    l.out_channels = w.dim(l.out_axis);
    l.in_channels = w.dim(l.in_axis);
    if (n.op_type == "MatMul") {
      const int64_t add = uses.only_reader(l.out);
      if (add >= 0 && g.nodes[size_t(add)].op_type == "Add" && g.nodes[size_t(add)].domain.empty()) {
        const ir::Node& a = g.nodes[size_t(add)];
        const std::string& other = a.inputs[0] == l.out ? a.inputs[1] : a.inputs[0];
        if (float_const(g, other) && g.initializers.at(other).numel() == l.out_channels) {
          l.bias = other;
          l.out = a.outputs[0];
        }
      }
    }
  } else {
    return false;
  }
  if (!l.bias.empty()) {
    // The bias must hold one value per output channel and belong to this layer alone.
    if (!float_const(g, l.bias) || g.initializers.at(l.bias).numel() != l.out_channels || uses.counts.at(l.bias) != 1)
      l.out_axis = -1;
  }
  return true;
}

double const_scalar(const ir::Graph& g, const ir::Node& n, size_t input, double absent) {
  if (!n.has_input(input)) return absent;
  const Tensor* t = g.initializer(n.inputs[input]);
  return t && t->numel() == 1 ? t->as_double(0) : std::numeric_limits<double>::quiet_NaN();
}

// "" when `n` commutes with a positive per-channel scale; else why not (empty optional: not an
// op equalization looks through at all).
std::optional<std::string> homogeneity(const ir::Graph& g, const ir::Node& n) {
  if (!n.domain.empty()) return std::nullopt;
  if (n.op_type == "Relu" || n.op_type == "LeakyRelu" || n.op_type == "AveragePool") return "";
  if (n.op_type == "MaxPool") return n.outputs.size() == 1 || n.outputs[1].empty() ? std::optional<std::string>("")
                                                                                     : std::nullopt;
  if (n.op_type != "Clip") return std::nullopt;
  const auto& a = n.attrs_as<ops::ClipAttrs>();
  const double inf = std::numeric_limits<double>::infinity();
  const double lo = a.min ? double(*a.min) : const_scalar(g, n, 1, -inf);
  const double hi = a.max ? double(*a.max) : const_scalar(g, n, 2, inf);
  if ((lo == 0 || lo == -inf) && hi == inf) return "";
  std::ostringstream why;
  why << "Clip(" << lo << ", " << hi << ") between (not positive-homogeneous)";
  return why.str();
}

// Multiplies slice c along `axis` of t by f[c].
void scale_channels(Tensor& t, int64_t axis, const std::vector<double>& f) {
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= t.dim(d);
  for (int64_t d = axis + 1; d < t.rank(); ++d) inner *= t.dim(d);
  const int64_t channels = t.dim(axis);
  float* x = t.data<float>();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t i = 0; i < inner; ++i) x[(o * channels + c) * inner + i] = float(x[(o * channels + c) * inner + i] * f[size_t(c)]);
}

}  // namespace

std::vector<double> channel_ranges(const Tensor& w, int64_t axis) {
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= w.dim(d);
  for (int64_t d = axis + 1; d < w.rank(); ++d) inner *= w.dim(d);
  const int64_t channels = w.dim(axis);
  std::vector<double> r(size_t(channels), 0.0);
  const float* x = w.data<float>();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t i = 0; i < inner; ++i)
        r[size_t(c)] = std::max(r[size_t(c)], double(std::fabs(x[(o * channels + c) * inner + i])));
  return r;
}

ir::Graph equalize(ir::Graph g, const EqualizeConfig& config, EqualizeReport* report) {
  SHRINK_CHECK(config.max_iterations >= 1, "equalization needs at least 1 iteration");
  prepare_graph(g);
  g = passes::optimize_for_export(std::move(g));
  bypass_inference_dropout(g);
  prepare_graph(g);
  EqualizeReport r;
  const Uses uses(g);
  std::vector<std::pair<Layer, Layer>> pairs;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Layer first;
    if (!describe(g, uses, i, first) || first.out_axis < 0) continue;
    std::string v = first.out, blocker;
    for (int64_t next = uses.only_reader(v); next >= 0; next = uses.only_reader(v)) {
      const ir::Node& n = g.nodes[size_t(next)];
      Layer second;
      if (describe(g, uses, size_t(next), second)) {
        const std::string name = g.nodes[i].name + " -> " + n.name;
        if (n.inputs[0] != v || second.in_axis < 0 || second.in_channels != first.out_channels) break;
        if (!blocker.empty()) r.skipped.push_back(name + ": " + blocker);
        else pairs.emplace_back(first, second);
        break;
      }
      const auto why = homogeneity(g, n);
      if (!why || n.inputs[0] != v) break;
      if (blocker.empty()) blocker = *why;
      v = n.outputs[0];
    }
  }
  // The tensors change: give the graph its own copies (initializers share storage with the caller's).
  for (const auto& [a, b] : pairs)
    for (const std::string* name : {&a.weight, &a.bias, &b.weight})
      if (!name->empty()) g.initializers.at(*name) = g.initializers.at(*name).clone();
  for (r.iterations = 1; r.iterations <= config.max_iterations; ++r.iterations) {
    double worst = 0;
    for (const auto& [a, b] : pairs) {
      Tensor& w1 = g.initializers.at(a.weight);
      Tensor& w2 = g.initializers.at(b.weight);
      const std::vector<double> r1 = channel_ranges(w1, a.out_axis), r2 = channel_ranges(w2, b.in_axis);
      std::vector<double> s(r1.size(), 1.0), inv(r1.size(), 1.0);
      for (size_t c = 0; c < s.size(); ++c)
        if (r1[c] > 0 && r2[c] > 0) {
          s[c] = std::sqrt(r1[c] / r2[c]);
          inv[c] = 1.0 / s[c];
          worst = std::max(worst, std::fabs(std::log(s[c])));
        }
      scale_channels(w1, a.out_axis, inv);
      if (!a.bias.empty()) {
        Tensor bias = g.initializers.at(a.bias).reshaped({int64_t(inv.size())});  // Gemm's C may be [1, N]
        scale_channels(bias, 0, inv);
      }
      scale_channels(w2, b.in_axis, s);
    }
    if (worst < config.tolerance) break;
  }
  r.iterations = std::min(r.iterations, config.max_iterations);
  for (const auto& [a, b] : pairs) r.pairs.push_back({g.nodes[a.node].name, g.nodes[b.node].name, a.out_channels});
  if (report) *report = std::move(r);
  return g;
}

}  // namespace shrink::compress
