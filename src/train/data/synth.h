// Built-in synthetic datasets, deterministic from a seed, for demos and tests of the trainer:
//   Dataset train = train::synth_images(10000, train::derive_seed(0, "train"));  // x [N,3,32,32]
//   Dataset seqs = train::synth_sequences(5000, 7);                             // x int64 [N,32]
// Images: 10 classes of drawn shapes (synth_shapes.cc lists them) with affine jitter, colour,
// clutter and noise. Sequences: the class is the ordered pair of the first two key tokens
// (except for a label_noise fraction of mislabelled samples).
#pragma once
#include <cstdint>
#include <string_view>

#include "train/data/dataset.h"

namespace shrink::train {

struct SynthImageOptions {
  int64_t size = 32;     // 28 or 32 (any 16..64 works)
  int64_t channels = 3;  // 1 (grey) or 3 (colour)
};

struct SynthSeqOptions {
  int64_t length = 32;
  int64_t vocab = 64;
  int64_t classes = 8;  // at most keys * (keys - 1) with keys = 4
  // Fraction of samples drawn from another class than their label: the task's irreducible error,
  // which keeps a good model below 100% as on real data.
  double label_noise = 0.04;
};

inline constexpr int64_t kSynthImageClasses = 10;

// Seed of one split ("train", "test") from a user seed, so splits never share samples.
uint64_t derive_seed(uint64_t seed, std::string_view split);

// n images, classes balanced (sample i has class i % 10 before a seeded shuffle).
Dataset synth_images(int64_t n, uint64_t seed, const SynthImageOptions& options = {});
Dataset synth_sequences(int64_t n, uint64_t seed, const SynthSeqOptions& options = {});

// Name of image class c ("circle", "ring", ...).
std::string_view synth_image_class_name(int64_t c);

}  // namespace shrink::train
