// Evaluation of a classifier on a labelled dataset: top-1 / top-5 accuracy, mean cross-entropy,
// per-class accuracy and the confusion matrix (rows: true class, columns: predicted).
#pragma once
#include <vector>

#include "ir/graph.h"
#include "train/data/dataset.h"
#include "train/data/loader.h"

namespace shrink::train {

struct EvalOptions {
  int64_t batch = 256;
  int threads = 1;
  std::vector<float> mean, std;  // per-channel normalization, as used in training
  int64_t limit = 0;        // evaluate only the first `limit` samples (0: all)
};

struct EvalResult {
  int64_t samples = 0, classes = 0;
  double top1 = 0, top5 = 0, loss = 0;  // top5 = top1 when classes <= 5
  std::vector<double> per_class_accuracy;
  std::vector<std::vector<int64_t>> confusion;
  double seconds = 0;
};

EvalResult evaluate(const ir::Graph& model, const Dataset& data, const EvalOptions& options = {});

}  // namespace shrink::train
