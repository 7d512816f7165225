// Loss subgraphs. Reductions are emitted in the form the graph's opset expects (axes attribute
// before ReduceSum-13 / ReduceMean-18, axes input after).
#include "train/losses.h"

#include "ir/builder.h"
#include "ops/op.h"

namespace shrink::train {
namespace {

class Emitter {
 public:
  explicit Emitter(ir::Graph& g, DType dtype = DType::kFloat32) : g_(g), b_(g), dtype_(dtype) {}
  std::string op(const std::string& type, std::vector<std::string> in, ir::AttributeMap attrs = {},
                 const std::string& domain = "") {
    std::string out = b_.node(type, std::move(in), std::move(attrs), "loss." + type, 1, domain)[0];
    ops::bind(g_.nodes.back(), g_.opset());
    return out;
  }
  std::string scalar(float v) {
    return b_.constant("loss.const", dtype_ == DType::kFloat64 ? Tensor::scalar<double>(v) : Tensor::scalar<float>(v));
  }
  std::string reduce(const std::string& type, const std::string& x, int64_t axis, int64_t axes_input_since) {
    if (g_.opset() >= axes_input_since)
      return op(type, {x, b_.constant("loss.axes", Tensor::from_vector<int64_t>({axis}, {1}))},
                {{"keepdims", int64_t(0)}});
    return op(type, {x}, {{"axes", std::vector<int64_t>{axis}}, {"keepdims", int64_t(0)}});
  }

 private:
  ir::Graph& g_;
  ir::GraphBuilder b_;
  DType dtype_;
};

}  // namespace

std::string add_cross_entropy(ir::Graph& g, const std::string& logits, const std::string& labels,
                              const CrossEntropyConfig& config) {
  SHRINK_CHECK(config.label_smoothing >= 0.f && config.label_smoothing < 1.f,
               "label smoothing must be in [0, 1), got ", config.label_smoothing);
  return Emitter(g).op("SoftmaxCrossEntropy", {logits, labels},
                       {{"label_smoothing", config.label_smoothing}, {"ignore_index", config.ignore_index}},
                       "com.shrink");
}

std::string add_distillation_kl(ir::Graph& g, const std::string& student_logits, const std::string& teacher_logits,
                                float temperature, DType dtype) {
  SHRINK_CHECK(temperature > 0.f, "distillation temperature must be > 0, got ", temperature);
  Emitter e(g, dtype);
  const std::string t = e.scalar(temperature);
  std::string ls = e.op("LogSoftmax", {e.op("Div", {student_logits, t})}, {{"axis", int64_t(1)}});
  std::string lt = e.op("LogSoftmax", {e.op("Div", {teacher_logits, t})}, {{"axis", int64_t(1)}});
  std::string pointwise = e.op("Mul", {e.op("Exp", {lt}), e.op("Sub", {lt, ls})});
  std::string per_sample = e.reduce("ReduceSum", pointwise, 1, 13);
  std::string batchmean = e.reduce("ReduceMean", per_sample, 0, 18);
  return e.op("Mul", {batchmean, e.scalar(temperature * temperature)});
}

std::string add_mse(ir::Graph& g, const std::string& prediction, const std::string& target, DType dtype) {
  Emitter e(g, dtype);
  std::string d = e.op("Sub", {prediction, target});
  std::string sq = e.op("Mul", {d, d});
  // Mean over all elements: flatten, then one reduction.
  std::string flat = e.op("Reshape", {sq, [&] {
                            ir::GraphBuilder b(g);
                            return b.constant("loss.flat", Tensor::from_vector<int64_t>({-1}, {1}));
                          }()});
  return e.reduce("ReduceMean", flat, 0, 18);
}

std::string add_weighted_sum(ir::Graph& g, const std::string& a, float wa, const std::string& b, float wb,
                             DType dtype) {
  Emitter e(g, dtype);
  return e.op("Add", {e.op("Mul", {a, e.scalar(wa)}), e.op("Mul", {b, e.scalar(wb)})});
}

}  // namespace shrink::train
