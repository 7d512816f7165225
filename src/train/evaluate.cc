// evaluate: batched inference in one Session, metrics accumulated in double.
#include "train/evaluate.h"

#include <chrono>
#include <cmath>

#include "runtime/session.h"

namespace shrink::train {

EvalResult evaluate(const ir::Graph& model, const Dataset& data, const EvalOptions& options) {
  SHRINK_CHECK(data.y.defined(), "evaluation data has no labels");
  const auto t0 = std::chrono::steady_clock::now();
  runtime::Session session(model, runtime::SessionOptions{.threads = options.threads});
  LoaderOptions lo;
  lo.batch = options.batch;
  lo.shuffle = false;
  lo.mean = options.mean;
  lo.std = options.std;
  DataLoader loader(data, lo);
  loader.start_epoch(0);
  EvalResult r;
  Batch b;
  int64_t top1 = 0, top5 = 0;
  double loss = 0;
  while (loader.next(b) && (options.limit == 0 || r.samples < options.limit)) {
    Tensor logits = session.run({b.x})[0];
    SHRINK_CHECK(logits.rank() == 2 && logits.dim(0) == b.x.dim(0) && logits.dtype() == DType::kFloat32,
                 "the model's first output must be float logits [N, classes], got ", shape_str(logits.shape()));
    const int64_t n = logits.dim(0), k = logits.dim(1);
    if (r.classes == 0) {
      r.classes = k;
      r.confusion.assign(size_t(k), std::vector<int64_t>(size_t(k), 0));
    }
    const float* l = logits.data<float>();
    const int64_t* y = b.y.data<int64_t>();
    for (int64_t i = 0; i < n && (options.limit == 0 || r.samples < options.limit); ++i, ++r.samples) {
      const float* row = l + i * k;
      SHRINK_CHECK(y[i] >= 0 && y[i] < k, "label ", y[i], " of sample ", r.samples, " is out of range for ", k,
                   " classes");
      int64_t best = 0, rank = 0;
      double mx = row[0];
      for (int64_t j = 1; j < k; ++j) {
        if (row[j] > row[best]) best = j;
        mx = std::max(mx, double(row[j]));
      }
      for (int64_t j = 0; j < k; ++j) rank += row[j] > row[y[i]] || (row[j] == row[y[i]] && j < y[i]);
      double se = 0;
      for (int64_t j = 0; j < k; ++j) se += std::exp(double(row[j]) - mx);
      loss += std::log(se) + mx - double(row[y[i]]);
      top1 += best == y[i];
      top5 += rank < 5;
      ++r.confusion[size_t(y[i])][size_t(best)];
    }
  }
  SHRINK_CHECK(r.samples > 0, "evaluation data is empty");
  r.top1 = double(top1) / double(r.samples);
  r.top5 = double(top5) / double(r.samples);
  r.loss = loss / double(r.samples);
  for (const auto& row : r.confusion) {
    int64_t total = 0;
    for (int64_t c : row) total += c;
    r.per_class_accuracy.push_back(total ? double(row[size_t(&row - &r.confusion[0])]) / double(total) : 0.0);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace shrink::train
