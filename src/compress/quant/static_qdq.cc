// Static post-training quantization in the QDQ form: BatchNorm folded, inference Dropout bypassed,
// then QuantizeLinear -> DequantizeLinear pairs on the calibrated activations and symmetric int8
// weights behind DequantizeLinear (Conv per channel, MatMul / Gemm per channel when it is cheap, see
// StaticQuantConfig;
// embedding tables too, embedding.h). A Conv / Gemm / MatMul [+ bias Add] + Relu / Clip
// chain is quantized once, at its end, which is the pattern passes/fuse_qdq.cc fuses; MaxPool and
// reshapes between quantized tensors share their input's range so they run on int8 values. A MatMul
// of two activations (attention) gets both inputs quantized. The QOperator form (qoperator_form.cc)
// also needs the range of every QLinear output: Gemm becomes MatMul [+ bias Add] first, and the
// product before a bias Add is calibrated too. StaticQuantizer calibrates once and emits any subset
// of the nodes (static_quantizer.h).
#include "compress/quant/static_quantizer.h"

#include <algorithm>

#include "compress/quant/bias_correction.h"
#include "compress/quant/calib_batches.h"
#include "compress/quant/calibrate.h"
#include "compress/quant/embedding.h"
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
               const std::set<std::string>& keep_float, QuantReport& r) {
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
    if (!config.op_types.count(op) || op == "Gather") continue;  // Gather: embedding tables, not planned
    const bool activations = activation_matmul(g, n);
    if (config.exclude.count(n.name) || keep_float.count(n.name) || (!activations && weight_axis(g, n) < 0)) {
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

StaticQuantizer::StaticQuantizer(ir::Graph model, StaticQuantConfig config, CalibrationData calib)
    : config_(std::move(config)), calib_(std::move(calib)), g_(std::move(model)) {
  for (const std::string& op : config_.op_types)
    SHRINK_CHECK(op == "Conv" || op == "MatMul" || op == "Gemm" || op == "Gather",
                 "static quantization supports Conv, MatMul, Gemm and Gather, not '", op, "'");
  SHRINK_CHECK(config_.activation_type == DType::kUInt8 || config_.activation_type == DType::kInt8,
               "activation type must be uint8 or int8");
  make_observer(config_.method, config_.observer);  // an unknown method fails before any work
  SHRINK_CHECK(g_.opset() >= 13, "static quantization needs opset >= 13 (per-channel DequantizeLinear); the model has ",
               g_.opset());
  prepare_graph(g_);
  bytes_before_ = initializer_bytes(g_);
  g_ = passes::optimize_for_export(std::move(g_));
  bypass_inference_dropout(g_);
  prepare_graph(g_);
  if (config_.format == QuantFormat::kQOperator) gemms_ = gemm_as_matmul(g_, config_);
  QuantReport counts;
  const Plan plan = make_plan(g_, config_, gemms_, {}, counts);
  const auto readers = readers_of(g_);
  std::set<std::string> graph_outputs;
  for (const auto& o : g_.outputs) graph_outputs.insert(o.name);
  for (size_t i : plan.nodes) {
    const ir::Node& n = g_.nodes[i];
    candidates_.push_back({n.name, gemms_.count(n.name) ? "Gemm" : n.op_type, n.outputs[0],
                           chain_end(g_, readers, graph_outputs, n).value});
  }
  same_as_ = plan.same_as;
  std::vector<std::string> observed;
  for (const auto& t : plan.tensors)
    if (!plan.same_as.count(t)) observed.push_back(t);
  ranges_ = calibrate(g_, observed, config_.method, config_.observer, calib_, &calibration_samples_,
                      &skipped_samples_);
  if (config_.bias_correction) {
    std::vector<std::string> names;
    for (const auto& c : candidates_) names.push_back(c.name);
    bias_sites_ = bias_sites(g_, names);
    batches_ = calibration_batches(g_, calib_);
    float_means_ = channel_means(g_, bias_sites_, batches_, calib_.threads);
  }
}

ir::Graph StaticQuantizer::quantize(const std::set<std::string>& keep_float, QuantReport* report) const {
  for (const std::string& name : keep_float) {
    bool known = false;
    for (const auto& c : candidates_) known |= c.name == name;
    SHRINK_CHECK(known, "no quantized node is named '", name, "'");
  }
  ir::Graph g = g_;
  QuantReport r;
  r.bytes_before = bytes_before_;
  r.calibration_samples = calibration_samples_;
  r.skipped_samples = skipped_samples_;
  const Plan plan = make_plan(g, config_, gemms_, keep_float, r);
  // A tensor whose range the full plan shares from another (MaxPool's output) may be quantized on
  // its own here, when what it shared from is not: it takes the same range.
  auto range_of = [&](std::string t) {
    if (auto s = plan.same_as.find(t); s != plan.same_as.end()) t = s->second;
    if (auto s = same_as_.find(t); s != same_as_.end() && !ranges_.count(t)) t = s->second;
    return ranges_.at(t);
  };

  ir::GraphBuilder b(g);
  const size_t original = g.nodes.size();
  std::vector<std::string> quantized;
  for (size_t i : plan.nodes) {
    ir::Node& n = g.nodes[i];
    quantized.push_back(n.name);
    const std::string w = n.inputs[1];
    int64_t axis = n.op_type == "Conv" || !config_.per_tensor ? weight_axis(g, n) : -1;
    if (axis >= 0 && n.op_type != "Conv" && !config_.per_channel) {  // auto: per channel where it is cheap
      const Tensor& wt = g.initializers.at(w);
      if (wt.dim(1 - axis) < kPerChannelMinRows) axis = -1;  // input rows (2-D weight)
    }
    QuantizedWeight qw = quantize_weight(g.initializers.at(w), axis, config_.reduce_range, config_.weight_scale);
    r.weight_bytes_before += int64_t(g.initializers.at(w).nbytes());
    r.weight_bytes_after += int64_t(qw.q.nbytes() + qw.scale.nbytes() + qw.zp.nbytes());
    const std::string dq = b.op("DequantizeLinear",
                                {b.constant(w + "_quantized", qw.q), b.constant(w + "_scale", qw.scale),
                                 b.constant(w + "_zero_point", qw.zp)},
                                axis >= 0 ? ir::AttributeMap{{"axis", axis}} : ir::AttributeMap{}, w + "_DequantizeLinear");
    g.nodes[i].inputs[1] = dq;  // b.op may have reallocated g.nodes
  }
  if (config_.op_types.count("Gather")) quantize_embeddings(g, config_.exclude, config_.weight_scale, r);
  for (const std::string& t : plan.tensors) {
    const Range range = range_of(t);
    const QuantParams qp = activation_params(range, config_.activation_type, config_.symmetric_activations);
    r.ranges.push_back({t, range, qp.scale, qp.zero_point});
    const std::string s = b.constant(t + "_scale", scale_tensor(qp.scale));
    const std::string z = b.constant(t + "_zero_point", zero_point_tensor(qp.zero_point, config_.activation_type));
    const std::string q = b.op("QuantizeLinear", {t, s, z}, {}, t + "_QuantizeLinear");
    const std::string dq = b.op("DequantizeLinear", {q, s, z}, {}, t + "_DequantizeLinear");
    for (size_t i = 0; i < original; ++i)
      for (auto& in : g.nodes[i].inputs)
        if (in == t) in = dq;
  }
  finish_graph(g, {});
  if (config_.bias_correction) {
    std::vector<BiasSite> sites;
    for (const auto& site : bias_sites_)
      if (std::find(quantized.begin(), quantized.end(), site.node) != quantized.end()) sites.push_back(site);
    r.bias_corrections = correct_bias(g, sites, float_means_, batches_, calib_.threads, progress_);
  }
  if (config_.format == QuantFormat::kQOperator) to_qoperator_form(g);
  r.bytes_after = initializer_bytes(g);
  if (report) *report = std::move(r);
  return g;
}

ir::Graph quantize_static(ir::Graph g, const StaticQuantConfig& config, const CalibrationData& calib,
                          QuantReport* report) {
  return StaticQuantizer(std::move(g), config, calib).quantize({}, report);
}

}  // namespace shrink::compress
