// Static post-training quantization in the QDQ form: BatchNorm folded, inference Dropout bypassed,
// then QuantizeLinear -> DequantizeLinear pairs on the calibrated activations and per-channel
// symmetric int8 weights behind DequantizeLinear. A Conv / Gemm / MatMul [+ bias Add] + Relu / Clip
// chain is quantized once, at its end, which is the pattern passes/fuse_qdq.cc fuses; MaxPool and
// reshapes between quantized tensors share their input's range so they run on int8 values. A MatMul
// of two activations (attention) gets both inputs quantized. The QOperator form (qoperator_form.cc)
// also needs the range of every QLinear output: Gemm becomes MatMul [+ bias Add] first, and the
// product before a bias Add is calibrated too.
#include "compress/quant/calibrate.h"
#include "compress/quant/quant_graph.h"
#include "compress/quant/quant_params.h"
#include "compress/quant/quantize.h"
#include "core/error.h"
#include "ir/builder.h"
#include "ops/nn/gemm.h"
#include "passes/passes.h"

namespace shrink::compress {
namespace {

constexpr const char* kRangeSharers[] = {"MaxPool", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze"};

struct Plan {
  std::vector<size_t> nodes;                   // the quantized nodes
  std::vector<std::string> tensors;            // activations to quantize, in graph order
  std::map<std::string, std::string> same_as;  // tensor -> tensor whose range it takes
};

// Readers (node indices) of every value.
std::map<std::string, std::vector<size_t>> readers_of(const ir::Graph& g) {
  std::map<std::string, std::vector<size_t>> r;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (const auto& in : g.nodes[i].inputs)
      if (!in.empty()) r[in].push_back(i);
  return r;
}

bool float_const(const ir::Graph& g, const std::string& v, int64_t min_rank, int64_t max_rank) {
  const Tensor* t = g.initializer(v);
  return t && t->dtype() == DType::kFloat32 && t->rank() >= min_rank && t->rank() <= max_rank;
}

// MatMul of two non-constant values (attention's Q K^T and A V).
bool activation_matmul(const ir::Graph& g, const ir::Node& n) {
  return n.op_type == "MatMul" && n.inputs.size() == 2 && !g.is_initializer(n.inputs[0]) &&
         !g.is_initializer(n.inputs[1]);
}

// The output channel axis of the node's weight, or -1 when the node is not quantizable.
int64_t weight_axis(const ir::Graph& g, const ir::Node& n) {
  if (n.inputs.size() < 2 || g.is_initializer(n.inputs[0])) return -1;
  if (n.op_type == "Conv") {
    if (!float_const(g, n.inputs[1], 3, 5) || (n.has_input(2) && !float_const(g, n.inputs[2], 1, 1))) return -1;
    return 0;
  }
  if (!float_const(g, n.inputs[1], 2, 2)) return -1;
  if (n.op_type == "MatMul") return 1;
  const auto& a = n.attrs_as<ops::GemmAttrs>();
  if (a.trans_a || a.alpha != 1.f) return -1;
  const int64_t axis = a.trans_b ? 0 : 1;
  if (n.has_input(2)) {
    const Tensor* c = g.initializer(n.inputs[2]);
    if (a.beta != 1.f || !c || c->dtype() != DType::kFloat32 || c->numel() != g.initializers.at(n.inputs[1]).dim(axis))
      return -1;
  }
  return axis;
}

bool constant_activation(const ir::Graph& g, const ir::Node& n) {
  if (!n.domain.empty()) return false;
  if (n.op_type == "Relu") return true;
  if (n.op_type != "Clip" || !n.attrs.empty()) return false;
  for (size_t i = 1; i < n.inputs.size(); ++i)
    if (!n.inputs[i].empty() && !float_const(g, n.inputs[i], 0, 1)) return false;
  return true;
}

struct ChainEnd {
  std::string value;
  bool bias_add = false;  // the chain goes through MatMul's bias Add
};

// The value a quantized node's chain ends at: its output, through MatMul's bias Add and a Relu / Clip
// when each is the only reader.
ChainEnd chain_end(const ir::Graph& g, const std::map<std::string, std::vector<size_t>>& readers,
                   const std::set<std::string>& graph_outputs, const ir::Node& n) {
  ChainEnd e;
  std::string& out = e.value;
  out = n.outputs[0];
  auto only = [&](const std::string& v) -> const ir::Node* {
    auto r = readers.find(v);
    if (r == readers.end() || r->second.size() != 1 || graph_outputs.count(v)) return nullptr;
    return &g.nodes[r->second[0]];
  };
  if (n.op_type == "MatMul" && !activation_matmul(g, n))
    if (const ir::Node* add = only(out); add && add->domain.empty() && add->op_type == "Add") {
      const std::string& other = add->inputs[0] == out ? add->inputs[1] : add->inputs[0];
      const int64_t cols = g.initializers.at(n.inputs[1]).dim(1);
      if (const Tensor* b = g.initializer(other); b && b->dtype() == DType::kFloat32 && b->numel() == cols) {
        out = add->outputs[0];
        e.bias_add = true;
      }
    }
  if (const ir::Node* act = only(out); act && constant_activation(g, *act)) out = act->outputs[0];
  return e;
}

// QOperator form: quantizable Gemm -> MatMul(x, W as [K, N]) [-> Add(C as [N])], named as the Gemm
// (whose names are returned, to report them as Gemm).
std::set<std::string> gemm_as_matmul(ir::Graph& g, const StaticQuantConfig& config) {
  std::set<std::string> names;
  if (!config.op_types.count("Gemm")) return names;
  ir::GraphBuilder b(g);
  const size_t original = g.nodes.size();
  std::vector<bool> replaced(original, false);
  std::vector<std::pair<size_t, std::string>> renamed;  // MatMul node -> its Gemm's name, once the Gemm is gone
  for (size_t i = 0; i < original; ++i) {
    const ir::Node n = g.nodes[i];
    if (!n.domain.empty() || n.op_type != "Gemm" || config.exclude.count(n.name) || weight_axis(g, n) < 0) continue;
    const Tensor& w = g.initializers.at(n.inputs[1]);
    const std::string w_kn =
        n.attrs_as<ops::GemmAttrs>().trans_b ? b.constant(n.inputs[1] + "_kn", transpose_2d(w)) : n.inputs[1];
    std::string y = b.op("MatMul", {n.inputs[0], w_kn}, {}, n.name);
    renamed.emplace_back(g.nodes.size() - 1, n.name);
    if (n.has_input(2)) {
      const Tensor& c = g.initializers.at(n.inputs[2]);
      y = b.op("Add", {y, b.constant(n.inputs[2] + "_n", c.reshaped({c.numel()}))}, {}, n.name + "_bias_add");
    }
    g.nodes.back().outputs[0] = n.outputs[0];
    replaced[i] = true;
    names.insert(n.name);
  }
  for (const auto& [k, name] : renamed) g.nodes[k].name = name;
  finish_graph(g, replaced);
  return names;
}

Plan make_plan(const ir::Graph& g, const StaticQuantConfig& config, const std::set<std::string>& gemms,
               QuantReport& r) {
  const bool qoperator = config.format == QuantFormat::kQOperator;
  Plan p;
  const auto readers = readers_of(g);
  std::set<std::string> graph_outputs, planned;
  for (const auto& o : g.outputs) graph_outputs.insert(o.name);
  auto add = [&](const std::string& t) {
    if (planned.insert(t).second) p.tensors.push_back(t);
  };
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const ir::Node& n = g.nodes[i];
    if (!n.domain.empty()) continue;
    bool sharer = false;
    for (const char* op : kRangeSharers) sharer |= n.op_type == op;
    if (sharer && n.outputs.size() == 1 && planned.count(n.inputs[0]) && readers.count(n.outputs[0])) {
      add(n.outputs[0]);
      p.same_as[n.outputs[0]] = p.same_as.count(n.inputs[0]) ? p.same_as.at(n.inputs[0]) : n.inputs[0];
      continue;
    }
    const std::string op = gemms.count(n.name) ? "Gemm" : n.op_type;
    if (!config.op_types.count(op)) continue;
    const bool activations = activation_matmul(g, n);
    if (config.exclude.count(n.name) || (!activations && weight_axis(g, n) < 0)) {
      ++r.skipped[op];
      continue;
    }
    if (!activations) p.nodes.push_back(i);
    add(n.inputs[0]);
    if (activations) add(n.inputs[1]);
    const ChainEnd end = chain_end(g, readers, graph_outputs, n);
    if (qoperator && end.bias_add) add(n.outputs[0]);  // QLinearMatMul's output, before the float bias Add
    // A value only read as a graph output (the logits) stays float, unless a QLinear op writes it.
    if (readers.count(end.value) || (qoperator && !end.bias_add)) add(end.value);
    ++r.quantized[op];
  }
  return p;
}

}  // namespace

ir::Graph quantize_static(ir::Graph g, const StaticQuantConfig& config, const CalibrationData& calib,
                          QuantReport* report) {
  for (const std::string& op : config.op_types)
    SHRINK_CHECK(op == "Conv" || op == "MatMul" || op == "Gemm",
                 "static quantization supports Conv, MatMul and Gemm, not '", op, "'");
  SHRINK_CHECK(config.activation_type == DType::kUInt8 || config.activation_type == DType::kInt8,
               "activation type must be uint8 or int8");
  make_observer(config.method, config.observer);  // an unknown method fails before any work
  SHRINK_CHECK(g.opset() >= 13, "static quantization needs opset >= 13 (per-channel DequantizeLinear); the model has ",
               g.opset());
  prepare_graph(g);
  QuantReport r;
  r.bytes_before = initializer_bytes(g);
  g = passes::optimize_for_export(std::move(g));
  bypass_inference_dropout(g);
  prepare_graph(g);
  const std::set<std::string> gemms =
      config.format == QuantFormat::kQOperator ? gemm_as_matmul(g, config) : std::set<std::string>{};
  const Plan plan = make_plan(g, config, gemms, r);

  std::vector<std::string> observed;
  for (const auto& t : plan.tensors)
    if (!plan.same_as.count(t)) observed.push_back(t);
  const auto ranges =
      calibrate(g, observed, config.method, config.observer, calib, &r.calibration_samples, &r.skipped_samples);

  ir::GraphBuilder b(g);
  const size_t original = g.nodes.size();
  for (size_t i : plan.nodes) {
    ir::Node& n = g.nodes[i];
    const std::string w = n.inputs[1];
    const int64_t axis = weight_axis(g, n);
    QuantizedWeight qw = quantize_weight(g.initializers.at(w), axis, config.reduce_range);
    r.weight_bytes_before += int64_t(g.initializers.at(w).nbytes());
    r.weight_bytes_after += int64_t(qw.q.nbytes() + qw.scale.nbytes() + qw.zp.nbytes());
    const std::string dq = b.op("DequantizeLinear",
                                {b.constant(w + "_quantized", qw.q), b.constant(w + "_scale", qw.scale),
                                 b.constant(w + "_zero_point", qw.zp)},
                                {{"axis", axis}}, w + "_DequantizeLinear");
    g.nodes[i].inputs[1] = dq;  // b.op may have reallocated g.nodes
  }
  for (const std::string& t : plan.tensors) {
    auto src = plan.same_as.find(t);
    const Range range = ranges.at(src == plan.same_as.end() ? t : src->second);
    const QuantParams qp = activation_params(range, config.activation_type);
    r.ranges.push_back({t, range, qp.scale, qp.zero_point});
    const std::string s = b.constant(t + "_scale", scale_tensor(qp.scale));
    const std::string z = b.constant(t + "_zero_point", zero_point_tensor(qp.zero_point, config.activation_type));
    const std::string q = b.op("QuantizeLinear", {t, s, z}, {}, t + "_QuantizeLinear");
    const std::string dq = b.op("DequantizeLinear", {q, s, z}, {}, t + "_DequantizeLinear");
    for (size_t i = 0; i < original; ++i)
      for (auto& in : g.nodes[i].inputs)
        if (in == t) in = dq;
  }
  finish_graph(g, {});
  if (config.format == QuantFormat::kQOperator) to_qoperator_form(g);
  r.bytes_after = initializer_bytes(g);
  if (report) *report = std::move(r);
  return g;
}

}  // namespace shrink::compress
