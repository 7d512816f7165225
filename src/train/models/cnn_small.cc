// cnn-small: depth x (Conv 3x3 -> BatchNorm -> ReLU) in stages of two layers, MaxPool 2x2 after each
// stage, channels doubling per stage from `width`; GlobalAveragePool -> Linear.
// Names: layer<i>.conv.weight, layer<i>.bn.{weight,bias,running_mean,running_var}, fc.weight/bias.
#include "core/error.h"
#include "train/models/arch.h"

namespace shrink::train {
namespace {

constexpr int64_t kMaxCnnDepth = 16;
constexpr int64_t kLayersPerStage = 2;

void resolve(ModelSpec& s) {
  SHRINK_CHECK(s.depth <= kMaxCnnDepth, "cnn-small: depth (conv layers) must be at most ", kMaxCnnDepth, ", got ", s.depth);
  const int64_t pools = s.depth / kLayersPerStage;
  SHRINK_CHECK(s.input[1] >> pools >= 1 && s.input[2] >> pools >= 1, "cnn-small: input ", s.input[1], "x", s.input[2],
               " is too small for ", pools, " 2x2 max pools (depth ", s.depth, ")");
}

std::string build(LayerBuilder& b, const ModelSpec& s, const std::string& input) {
  std::string x = input;
  int64_t cin = s.input[0], c = s.width;
  for (int64_t i = 0; i < s.depth; ++i) {
    const std::string name = "layer" + std::to_string(i);
    if (i > 0 && i % kLayersPerStage == 0) c *= 2;
    x = b.conv(x, cin, c, 3, 1, 1, /*bias=*/false, name + ".conv");
    x = b.relu(b.batch_norm(x, c, name + ".bn"), name + ".relu");
    if (i % kLayersPerStage == kLayersPerStage - 1) x = b.max_pool(x, 2, name + ".pool");
    cin = c;
  }
  return b.linear(b.global_avg_pool(x, "pool"), c, s.classes, "fc");
}

}  // namespace

extern const ArchDef kCnnSmall{
    .info = {.name = "cnn-small",
             .summary = "plain CNN: (Conv3x3 -> BN -> Relu) x depth, MaxPool every 2 layers, GAP -> Gemm",
             .input_kind = InputKind::kImage,
             .default_input = {3, 32, 32},
             .default_width = 32,
             .default_depth = 4,
             .width_meaning = "first conv channels, doubling every 2 layers",
             .depth_meaning = "conv layers"},
    .resolve = resolve,
    .build = build};

}  // namespace shrink::train
