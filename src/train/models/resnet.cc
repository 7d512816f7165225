// resnet: the CIFAR ResNet of He et al. (2016, section 4.2): a 3x3 stem, three stages of n basic blocks
// with width, 2*width, 4*width channels (16/32/64 by default), depth = 6n + 2; the first block of
// stages 2 and 3 has stride 2 and a 1x1 conv + BN projection shortcut; GlobalAveragePool -> Linear.
// Names: stem.conv, stem.bn, stage<s>.block<b>.{conv1,bn1,conv2,bn2,shortcut.conv,shortcut.bn}, fc.
#include "core/error.h"
#include "train/models/arch.h"

namespace shrink::train {
namespace {

constexpr int64_t kMaxResNetDepth = 200;
constexpr int64_t kMinSide = 8;

void resolve(ModelSpec& s) {
  SHRINK_CHECK(s.depth >= 8 && (s.depth - 2) % 6 == 0 && s.depth <= kMaxResNetDepth,
               "resnet: depth must be 6n+2 between 8 and ", kMaxResNetDepth, " (8, 14, 20, 32, 44, 56, 110), got ", s.depth);
  SHRINK_CHECK(s.input[1] >= kMinSide && s.input[2] >= kMinSide, "resnet: input must be at least ", kMinSide, "x",
               kMinSide, " (designed for 32x32), got ", s.input[1], "x", s.input[2]);
}

std::string conv_bn(LayerBuilder& b, const std::string& x, int64_t cin, int64_t cout, int64_t k, int64_t stride,
                    const std::string& conv, const std::string& bn) {
  return b.batch_norm(b.conv(x, cin, cout, k, stride, 1, /*bias=*/false, conv), cout, bn);
}

std::string basic_block(LayerBuilder& b, const std::string& x, int64_t cin, int64_t cout, int64_t stride,
                        const std::string& name) {
  std::string y = b.relu(conv_bn(b, x, cin, cout, 3, stride, name + ".conv1", name + ".bn1"), name + ".relu1");
  y = conv_bn(b, y, cout, cout, 3, 1, name + ".conv2", name + ".bn2");
  std::string shortcut = x;
  if (stride != 1 || cin != cout)
    shortcut = conv_bn(b, x, cin, cout, 1, stride, name + ".shortcut.conv", name + ".shortcut.bn");
  return b.relu(b.op("Add", {y, shortcut}, {}, name + ".add"), name + ".relu2");
}

std::string build(LayerBuilder& b, const ModelSpec& s, const std::string& input) {
  const int64_t blocks = (s.depth - 2) / 6;
  int64_t c = s.width;
  std::string x = b.relu(conv_bn(b, input, s.input[0], c, 3, 1, "stem.conv", "stem.bn"), "stem.relu");
  for (int64_t stage = 1; stage <= 3; ++stage) {
    const int64_t cout = s.width << (stage - 1);
    for (int64_t i = 0; i < blocks; ++i) {
      const int64_t stride = stage > 1 && i == 0 ? 2 : 1;
      x = basic_block(b, x, c, cout, stride, "stage" + std::to_string(stage) + ".block" + std::to_string(i));
      c = cout;
    }
  }
  return b.linear(b.global_avg_pool(x, "pool"), c, s.classes, "fc");
}

}  // namespace

extern const ArchDef kResNet{
    .info = {.name = "resnet",
             .summary = "CIFAR ResNet (He et al.): 3 stages of basic blocks, projection shortcuts, GAP -> Gemm",
             .input_kind = InputKind::kImage,
             .default_input = {3, 32, 32},
             .default_width = 16,
             .default_depth = 20,
             .width_meaning = "stage-1 channels (stages: width, 2*width, 4*width)",
             .depth_meaning = "6n+2 layers (n blocks per stage): 8, 14, 20, 32, 56, 110"},
    .resolve = resolve,
    .build = build};

}  // namespace shrink::train
