// mlp: Flatten -> (Linear -> ReLU) x depth -> Linear. Names: hidden<i>.weight/bias, fc.weight/bias.
// `--input 1x28x28 --width 1024 --depth 2` is the 784-1024-1024-10 benchmark MLP.
#include "core/error.h"
#include "train/models/arch.h"

namespace shrink::train {
namespace {

constexpr int64_t kMaxMlpDepth = 64;

void resolve(ModelSpec& s) {
  SHRINK_CHECK(s.depth <= kMaxMlpDepth, "mlp: depth (hidden layers) must be at most ", kMaxMlpDepth, ", got ", s.depth);
}

std::string build(LayerBuilder& b, const ModelSpec& s, const std::string& input) {
  int64_t features = 1;
  for (int64_t d : s.input) features *= d;
  std::string x = b.op("Flatten", {input}, {{"axis", int64_t(1)}}, "flatten");
  for (int64_t i = 0; i < s.depth; ++i) {
    const std::string name = "hidden" + std::to_string(i);
    x = b.relu(b.linear(x, i == 0 ? features : s.width, s.width, name), name + ".relu");
  }
  return b.linear(x, s.width, s.classes, "fc");
}

}  // namespace

extern const ArchDef kMlp{
    .info = {.name = "mlp",
             .summary = "multilayer perceptron: Flatten -> (Gemm -> Relu) x depth -> Gemm",
             .input_kind = InputKind::kImage,
             .default_input = {1, 28, 28},
             .default_width = 256,
             .default_depth = 2,
             .width_meaning = "hidden size",
             .depth_meaning = "hidden layers"},
    .resolve = resolve,
    .build = build};

}  // namespace shrink::train
