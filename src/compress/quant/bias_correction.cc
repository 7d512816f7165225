// Empirical bias correction: per-channel output means of the float model once, then for each site
// in order one pass of the (already partly corrected) quantized model, pruned to that site.
#include "compress/quant/bias_correction.h"

#include <cmath>

#include "core/error.h"
#include "ops/nn/gemm.h"

namespace shrink::compress {
namespace {

int64_t weight_columns(const ir::Graph& g, const ir::Node& n) {
  const Tensor* w = g.initializer(n.inputs[1]);
  if (!w || w->rank() != 2) return -1;
  return n.op_type == "Gemm" && n.attrs_as<ops::GemmAttrs>().trans_b ? w->dim(0) : w->dim(1);
}

bool own_bias(const ir::Graph& g, const std::map<std::string, int>& uses, const std::string& b, int64_t channels) {
  const Tensor* t = g.initializer(b);
  return t && t->dtype() == DType::kFloat32 && t->numel() == channels && channels > 0 && uses.at(b) == 1;
}

// Accumulates per-channel sums of y (channel axis 1, or the last one).
void add_channel_sums(const Tensor& y, bool channels_last, std::vector<double>& sum, int64_t& count) {
  const int64_t axis = channels_last ? y.rank() - 1 : 1;
  SHRINK_ASSERT(y.rank() > axis && y.dim(axis) == int64_t(sum.size()), "bias correction: output shape ",
                shape_str(y.shape()), " does not have ", sum.size(), " channels");
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= y.dim(d);
  for (int64_t d = axis + 1; d < y.rank(); ++d) inner *= y.dim(d);
  const int64_t channels = y.dim(axis);
  const float* x = y.data<float>();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t c = 0; c < channels; ++c) {
      double s = 0;
      for (int64_t i = 0; i < inner; ++i) s += x[(o * channels + c) * inner + i];
      sum[size_t(c)] += s;
    }
  count += outer * inner;
}

}  // namespace

std::vector<BiasSite> bias_sites(const ir::Graph& g, const std::vector<std::string>& nodes) {
  const auto uses = g.use_counts();
  std::map<std::string, std::vector<size_t>> readers;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (const auto& in : g.nodes[i].inputs) readers[in].push_back(i);
  std::vector<BiasSite> sites;
  for (const std::string& name : nodes)
    for (const ir::Node& n : g.nodes) {
      if (n.name != name || n.inputs.size() < 2) continue;
      const Tensor* w = g.initializer(n.inputs[1]);
      if (!w) continue;
      if (n.op_type == "Conv" && n.has_input(2) && own_bias(g, uses, n.inputs[2], w->dim(0))) {
        sites.push_back({name, n.outputs[0], n.inputs[2], false});
      } else if (n.op_type == "Gemm" && n.has_input(2) && n.attrs_as<ops::GemmAttrs>().beta == 1.f &&
                 own_bias(g, uses, n.inputs[2], weight_columns(g, n))) {
        sites.push_back({name, n.outputs[0], n.inputs[2], true});
      } else if (n.op_type == "MatMul") {
        auto r = readers.find(n.outputs[0]);
        if (r == readers.end() || r->second.size() != 1) continue;
        const ir::Node& add = g.nodes[r->second[0]];
        if (add.op_type != "Add" || !add.domain.empty()) continue;
        const std::string& other = add.inputs[0] == n.outputs[0] ? add.inputs[1] : add.inputs[0];
        if (own_bias(g, uses, other, weight_columns(g, n))) sites.push_back({name, add.outputs[0], other, true});
      }
    }
  return sites;
}

std::map<std::string, std::vector<double>> channel_means(const ir::Graph& g, const std::vector<BiasSite>& sites,
                                                         const std::vector<Tensor>& batches, int threads) {
  std::map<std::string, std::vector<double>> means;
  if (sites.empty()) return means;
  std::vector<std::string> values;
  std::vector<std::vector<double>> sums;
  std::vector<int64_t> counts(sites.size(), 0);
  for (const auto& s : sites) {
    values.push_back(s.output);
    sums.emplace_back(size_t(g.initializers.at(s.bias).numel()), 0.0);
  }
  run_over_batches(g, values, batches, threads, [&](size_t, const std::vector<Tensor>& y) {
    for (size_t k = 0; k < sites.size(); ++k) add_channel_sums(y[k], sites[k].channels_last, sums[k], counts[k]);
  });
  for (size_t k = 0; k < sites.size(); ++k) {
    for (double& s : sums[k]) s /= double(std::max<int64_t>(1, counts[k]));
    means[sites[k].output] = std::move(sums[k]);
  }
  return means;
}

std::vector<BiasCorrection> correct_bias(ir::Graph& q, const std::vector<BiasSite>& sites,
                                         const std::map<std::string, std::vector<double>>& float_means,
                                         const std::vector<Tensor>& batches, int threads,
                                         const StageProgress& progress) {
  std::vector<BiasCorrection> done;
  for (size_t k = 0; k < sites.size(); ++k) {
    const BiasSite& site = sites[k];
    const std::vector<double>& want = float_means.at(site.output);
    std::vector<double> sum(want.size(), 0.0);
    int64_t count = 0;
    run_over_batches(q, {site.output}, batches, threads,
                     [&](size_t, const std::vector<Tensor>& y) { add_channel_sums(y[0], site.channels_last, sum, count); });
    Tensor bias = q.initializers.at(site.bias).clone();  // storage may be shared with the float model
    float* b = bias.data<float>();
    BiasCorrection c{.node = site.node, .channels = int64_t(want.size())};
    for (size_t ch = 0; ch < want.size(); ++ch) {
      const double shift = sum[ch] / double(std::max<int64_t>(1, count)) - want[ch];
      c.bias_rms += double(b[ch]) * b[ch];
      b[ch] = float(double(b[ch]) - shift);
      c.mean_abs_shift += std::fabs(shift);
      c.max_abs_shift = std::max(c.max_abs_shift, std::fabs(shift));
    }
    c.mean_abs_shift /= double(std::max<size_t>(1, want.size()));
    c.bias_rms = std::sqrt(c.bias_rms / double(std::max<size_t>(1, want.size())));
    q.initializers.at(site.bias) = std::move(bias);
    done.push_back(c);
    if (progress) progress("bias correction", int64_t(k + 1), int64_t(sites.size()));
  }
  return done;
}

}  // namespace shrink::compress
