// Seeded starting architectures (`shrink init`): standard-ONNX models built from a ModelSpec, with
// PyTorch's default initialization and initializer names equal to the twin module's state_dict keys
// (tests/oracles/torch_twins.py).
//   ir::Graph g = train::build_model({.arch = "resnet", .input = {3, 32, 32}, .depth = 20, .seed = 1});
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace shrink::train {

inline constexpr int64_t kModelOpset = 17;
// Largest model build_model makes (512 MiB of float32 parameters).
inline constexpr int64_t kMaxModelParameters = int64_t(1) << 27;

struct ModelSpec {
  std::string arch;
  std::vector<int64_t> input;  // C,H,W for images (mlp: any 1-3 dims), L for the transformer; empty: default
  int64_t classes = 10;
  int64_t width = 0;   // 0: the arch's default (its meaning per arch: docs/models.md)
  int64_t depth = 0;   // 0: the arch's default
  uint64_t seed = 0;
  int64_t vocab = 64;      // transformer: token ids in [0, vocab)
  int64_t heads = 0;       // transformer: attention heads; 0: derived from width
  bool post_norm = false;  // transformer: post-LN layers (default pre-LN)
};

enum class InputKind { kImage, kTokens };

// One row of the architecture table (for `--help` and documentation).
struct ArchInfo {
  const char* name;
  const char* summary;
  InputKind input_kind;
  std::vector<int64_t> default_input;
  int64_t default_width, default_depth;
  const char* width_meaning;
  const char* depth_meaning;
};

const std::vector<ArchInfo>& architectures();
// Fills the arch defaults and validates; fails (bad input) with one line naming the option.
ModelSpec resolve_spec(const ModelSpec& spec);
// Trainable parameters (weights and biases; BatchNorm running statistics excluded) of the model.
int64_t count_parameters(const ModelSpec& spec);
// The model: graph input `input` ([N, C, H, W] float32 or [N, L] int64, N symbolic), output
// `logits` [N, classes], opset 17, ops bound. Same spec and seed give bit-identical initializers.
ir::Graph build_model(const ModelSpec& spec);

}  // namespace shrink::train
