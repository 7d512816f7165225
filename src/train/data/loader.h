// Batches over a Dataset for training: seeded shuffling (a pure function of seed and epoch),
// per-channel normalization, and augmentation (random crop with zero padding, horizontal flip).
//   DataLoader dl(train, {.batch = 64, .seed = 1, .crop_padding = 4, .hflip = true});
//   for (int e = 0; e < epochs; ++e) { dl.start_epoch(e); Batch b; while (dl.next(b)) step(b.x, b.y); }
#pragma once
#include <cstdint>
#include <vector>

#include "train/data/dataset.h"

namespace shrink::train {

struct LoaderOptions {
  int64_t batch = 32;
  bool shuffle = true;
  uint64_t seed = 0;
  bool drop_last = false;    // drop a last batch smaller than `batch`
  std::vector<float> mean;   // per channel (dim 1 of x), or one value for all; empty = none
  std::vector<float> std;    // same length as mean; each > 0
  int64_t crop_padding = 0;  // random crop of the original size from the image padded by P zeros
  bool hflip = false;        // mirror left-right with probability 1/2
};

struct Batch {
  Tensor x;                      // [B, ...] float32 (normalized, augmented) or int64
  Tensor y;                      // int64 [B] or undefined
  std::vector<int64_t> indices;  // dataset index of each row
};

class DataLoader {
 public:
  // Fails (bad input) on options that do not fit the dataset (augmenting tokens, wrong mean size).
  DataLoader(const Dataset& data, LoaderOptions options);
  int64_t num_batches() const;
  // Starts epoch `epoch`: the order (and augmentation) depends only on the seed and the epoch.
  void start_epoch(int64_t epoch);
  // Fills the next batch; false at the end of the epoch. Starts epoch 0 when none was started.
  bool next(Batch& b);

 private:
  void fill(Batch& b, int64_t begin, int64_t count) const;

  Dataset data_;
  LoaderOptions o_;
  std::vector<int64_t> order_;
  int64_t epoch_ = -1;
  int64_t cursor_ = 0;
};

// Checks that a dataset fits a model: sample shape (a negative dim matches any size), the
// input dtype, and (when num_classes > 0) labels in [0, num_classes). Fails with one line.
void check_fits(const Dataset& data, const Shape& sample_shape, DType dtype, int64_t num_classes);

}  // namespace shrink::train
