// SoftmaxCrossEntropy(logits [N, K], labels int64 [N]) -> loss (scalar of logits' type) and
// SoftmaxCrossEntropyGrad(dLoss, logits, labels) -> dLogits, with PyTorch's F.cross_entropy
// semantics: loss = mean over samples whose label != ignore_index of
// (1 - eps) * (-log p[label]) + eps * mean_k(-log p[k]); all samples ignored -> loss 0.
// Per-sample terms run in parallel; their sum is taken in sample order, independent of threads.
#include <algorithm>
#include <cmath>

#include "ops/grad/grad_util.h"

namespace shrink::ops {
namespace {

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t) {
  AttrReader r(node);
  auto a = std::make_shared<CrossEntropyAttrs>();
  a->label_smoothing = r.get_float("label_smoothing", 0.f);
  a->ignore_index = r.get_int("ignore_index", -100);
  r.done();
  SHRINK_CHECK(a->label_smoothing >= 0.f && a->label_smoothing <= 1.f, node.label(), " label_smoothing ",
               a->label_smoothing, " is outside [0, 1]");
  return a;
}

// Checks logits (input li) and labels (input li + 1).
void check_logits_labels(const ir::Node& node, std::span<const ValueMeta> in, size_t li) {
  require_grad_type(node, in, int(li));
  const ValueMeta &logits = in[li], &labels = in[li + 1];
  SHRINK_CHECK(logits.shape.size() == 2, node.label(), " logits must be [N, K], got ", shape_str(logits.shape));
  require_int_tensor(node, labels, int(li + 1), "labels");
  SHRINK_CHECK(labels.shape == Shape{logits.shape[0]}, node.label(), " labels must have shape [",
               logits.shape[0], "], got ", shape_str(labels.shape));
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  check_logits_labels(node, in, 0);
  out[0] = {in[0].dtype, {}};
  return true;
}

bool infer_grad(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  check_logits_labels(node, in, 1);
  require_same_dtype(node, in, 0, 1);
  SHRINK_CHECK(numel(in[0].shape) == 1 && in[0].shape.size() <= 1, node.label(), " dLoss must be a scalar, got ",
               shape_str(in[0].shape));
  out[0] = {in[1].dtype, in[1].shape};
  return true;
}

// Labels as int64 with ignored samples as -1; fails on a label outside [0, K). Returns the count
// of samples that are not ignored.
int64_t read_labels(const ir::Node& node, const Tensor& t, int64_t k, std::vector<int64_t>& labels) {
  const int64_t ignore = node.attrs_as<CrossEntropyAttrs>().ignore_index;
  labels = t.to_int64_vector();
  int64_t kept = 0;
  for (size_t n = 0; n < labels.size(); ++n) {
    if (labels[n] == ignore) {
      labels[n] = -1;
      continue;
    }
    SHRINK_CHECK(labels[n] >= 0 && labels[n] < k, node.label(), " label ", labels[n], " of sample ", n,
                 " is outside [0, ", k, ")");
    ++kept;
  }
  return kept;
}

// log(sum_k exp(x_k)), max-subtracted, in double.
template <class T>
double log_sum_exp(const T* x, int64_t k) {
  double mx = -INFINITY;
  for (int64_t j = 0; j < k; ++j) mx = std::max(mx, double(x[j]));
  if (std::isinf(mx)) return mx;
  double s = 0;
  for (int64_t j = 0; j < k; ++j) s += std::exp(double(x[j]) - mx);
  return mx + std::log(s);
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const double eps = node.attrs_as<CrossEntropyAttrs>().label_smoothing;
  const int64_t n = in[0].dim(0), k = in[0].dim(1);
  std::vector<int64_t> labels;
  const int64_t kept = read_labels(node, in[1], k, labels);
  visit_grad_float(node, in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* x = in[0].data<T>();
    std::vector<double> per_sample(size_t(n), 0.0);
    parallel_for(n, std::max<int64_t>(1, 8192 / std::max<int64_t>(k, 1)), [&](int64_t b, int64_t e) {
      for (int64_t s = b; s < e; ++s) {
        if (labels[size_t(s)] < 0) continue;
        const T* row = x + s * k;
        const double lse = log_sum_exp(row, k);
        double mean_x = 0;
        for (int64_t j = 0; j < k; ++j) mean_x += double(row[j]);
        mean_x /= double(k);
        per_sample[size_t(s)] = (1.0 - eps) * (lse - double(row[labels[size_t(s)]])) + eps * (lse - mean_x);
      }
    });
    double total = 0;
    for (double v : per_sample) total += v;
    out[0].data<T>()[0] = kept ? T(total / double(kept)) : T(0);
  });
}

void compute_grad(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const double eps = node.attrs_as<CrossEntropyAttrs>().label_smoothing;
  const int64_t n = in[1].dim(0), k = in[1].dim(1);
  std::vector<int64_t> labels;
  const int64_t kept = read_labels(node, in[2], k, labels);
  visit_grad_float(node, in[1].dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* x = in[1].data<T>();
    T* dx = out[0].data<T>();
    const double scale = kept ? double(in[0].data<T>()[0]) / double(kept) : 0.0;
    const double smooth = eps / double(k);
    parallel_for(n, std::max<int64_t>(1, 8192 / std::max<int64_t>(k, 1)), [&](int64_t b, int64_t e) {
      for (int64_t s = b; s < e; ++s) {
        T* drow = dx + s * k;
        const int64_t label = labels[size_t(s)];
        if (label < 0) {
          std::fill(drow, drow + k, T(0));
          continue;
        }
        const T* row = x + s * k;
        const double lse = log_sum_exp(row, k);
        for (int64_t j = 0; j < k; ++j) {
          const double p = std::exp(double(row[j]) - lse);
          drow[j] = T(scale * (p - smooth - (j == label ? 1.0 - eps : 0.0)));
        }
      }
    });
  });
}

}  // namespace

extern const OpSchema kSoftmaxCrossEntropy{.op_type = "SoftmaxCrossEntropy", .domain = kGradDomain,
                                           .min_inputs = 2, .max_inputs = 2, .parse = parse, .infer = infer,
                                           .compute = compute};
extern const OpSchema kSoftmaxCrossEntropyGrad{.op_type = "SoftmaxCrossEntropyGrad", .domain = kGradDomain,
                                               .min_inputs = 3, .max_inputs = 3, .parse = parse,
                                               .infer = infer_grad, .compute = compute_grad};

}  // namespace shrink::ops
