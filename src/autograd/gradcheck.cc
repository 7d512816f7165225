// gradcheck and the reference graph evaluator it runs on.
#include "autograd/gradcheck.h"

#include <cmath>
#include <sstream>

#include "autograd/backward.h"
#include "core/rng.h"
#include "ir/builder.h"
#include "ops/op.h"

namespace shrink::autograd {
namespace {

Tensor random_like(const Tensor& t, Rng& rng) {
  Tensor r(t.dtype(), t.shape());
  for (int64_t i = 0; i < r.numel(); ++i) {
    const double v = rng.uniform() * 2.0 - 1.0;
    if (t.dtype() == DType::kFloat64) r.data<double>()[i] = v;
    else r.data<float>()[i] = float(v);
  }
  return r;
}

double get(const Tensor& t, int64_t i) { return t.as_double(i); }
void set(Tensor& t, int64_t i, double v) {
  if (t.dtype() == DType::kFloat64) t.data<double>()[i] = v;
  else t.data<float>()[i] = float(v);
}

}  // namespace

std::map<std::string, Tensor> evaluate_reference(const ir::Graph& g, const std::map<std::string, Tensor>& inputs) {
  std::map<std::string, Tensor> values = inputs;
  for (const auto& [name, t] : g.initializers) values.emplace(name, t);
  for (const ir::Node& n : g.nodes) {
    std::vector<Tensor> args;
    for (const auto& v : n.inputs) {
      if (v.empty()) {
        args.emplace_back();
        continue;
      }
      auto it = values.find(v);
      SHRINK_CHECK(it != values.end(), n.label(), " input '", v, "' has no value");
      args.push_back(it->second);
    }
    std::vector<Tensor> outs = ops::run_reference(n, args);
    for (size_t i = 0; i < outs.size() && i < n.outputs.size(); ++i)
      if (!n.outputs[i].empty()) values[n.outputs[i]] = outs[i];
  }
  return values;
}

GradCheckResult gradcheck(const ir::Graph& g0, const std::vector<std::string>& wrt,
                          const std::map<std::string, Tensor>& inputs, uint64_t seed, double step) {
  ir::Graph g = g0;
  ops::bind_all(g);
  Rng rng(seed);
  // loss = sum_i ReduceSum(y_i * R_i)
  std::map<std::string, Tensor> base = evaluate_reference(g, inputs);
  ir::GraphBuilder b(g);
  std::vector<std::string> terms;
  for (const auto& out : g0.outputs) {
    const Tensor& y = base.at(out.name);
    if (!is_float(y.dtype())) continue;
    std::string r = b.constant(out.name + "_cotangent", random_like(y, rng));
    std::string prod = b.op("Mul", {out.name, r}, {}, "gradcheck_mul");
    terms.push_back(b.op("ReduceSum", {prod}, {{"keepdims", int64_t(0)}}, "gradcheck_sum"));
  }
  SHRINK_CHECK(!terms.empty(), "gradcheck: the graph has no float output");
  std::string loss = terms.size() == 1 ? terms[0] : b.op("Sum", terms, {}, "gradcheck_total");
  g.outputs = {ir::ValueInfo{loss, base.at(g0.outputs[0].name).dtype(), std::vector<ir::Dim>{}}};
  ops::bind_all(g);
  const ir::Graph forward = g;

  std::map<std::string, Shape> shapes;
  for (const auto& [name, t] : inputs) shapes[name] = t.shape();
  ExampleMetas metas(g, shapes);
  std::vector<std::string> grads = add_backward(g, loss, wrt, metas);
  std::map<std::string, Tensor> values = evaluate_reference(g, inputs);

  GradCheckResult result;
  for (size_t w = 0; w < wrt.size(); ++w) {
    const Tensor& x0 = inputs.at(wrt[w]);
    Tensor analytic = grads[w].empty() ? Tensor(x0.dtype(), x0.shape()) : values.at(grads[w]);
    SHRINK_CHECK(analytic.shape() == x0.shape(), "gradcheck: gradient of '", wrt[w], "' has shape ",
                 shape_str(analytic.shape()), ", expected ", shape_str(x0.shape()));
    for (int64_t i = 0; i < x0.numel(); ++i) {
      std::map<std::string, Tensor> in = inputs;
      Tensor x = x0.clone();
      in[wrt[w]] = x;
      set(x, i, get(x0, i) + step);
      const double lp = evaluate_reference(forward, in).at(loss).as_double(0);
      set(x, i, get(x0, i) - step);
      const double lm = evaluate_reference(forward, in).at(loss).as_double(0);
      const double numeric = (lp - lm) / (2 * step), a = get(analytic, i);
      const double err = std::abs(a - numeric) / std::max(1.0, std::abs(numeric));
      ++result.checked;
      if (err > result.max_error || std::isnan(err)) {
        result.max_error = std::isnan(err) ? INFINITY : err;
        std::ostringstream s;
        s << wrt[w] << "[" << i << "]: analytic " << a << ", numeric " << numeric;
        result.worst = s.str();
      }
    }
  }
  return result;
}

}  // namespace shrink::autograd
