// to_training_mode: the forward graph in training semantics. BatchNormalization normalizes with
// batch statistics and outputs its updated running statistics; Dropout becomes the seeded
// com.shrink TrainDropout, whose mask depends on (seed, step) only.
#pragma once
#include <string>
#include <vector>

#include "ir/graph.h"

namespace shrink::autograd {

struct TrainingMode {
  // int64 scalar graph input numbering the step (added only when the graph has dropout).
  std::string step_input;
  // Pairs (graph output, value it replaces next step): the running mean/var of each BatchNorm.
  std::vector<std::pair<std::string, std::string>> state_updates;
};

// Rewrites g in place (nodes stay in order; nothing else changes). `seed` seeds every dropout.
// With `dropout` false, Dropout nodes keep their inference semantics (identity).
TrainingMode to_training_mode(ir::Graph& g, uint64_t seed, bool dropout = true);

}  // namespace shrink::autograd
