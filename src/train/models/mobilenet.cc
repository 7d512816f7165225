// mobilenet: MobileNetV2 (Sandler et al. 2018) for small inputs: a stride-1 3x3 stem and the paper's
// inverted residual table with stage 2 at stride 1 (8x total downsampling, for 32x32), ReLU6 as
// Clip(0, 6), residual Add when stride is 1 and channels match, then 1x1 conv to 1280, GAP, Dropout
// 0.2, Linear. width = 32 x the width multiplier; channels rounded as torchvision's _make_divisible.
// Names: stem, stage<s>.block<b>.{expand,depthwise,project}.{conv,bn}, head.{conv,bn}, fc.
#include <algorithm>

#include "core/error.h"
#include "train/models/arch.h"

namespace shrink::train {
namespace {

struct StageRow {
  int64_t expand, channels, blocks, stride;
};
// The paper's table with the CIFAR change (stage 2 stride 1 instead of 2).
constexpr StageRow kStages[] = {{1, 16, 1, 1}, {6, 24, 2, 1}, {6, 32, 3, 2}, {6, 64, 4, 2},
                                {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
constexpr int64_t kNumStages = int64_t(sizeof kStages / sizeof kStages[0]);
constexpr int64_t kStemChannels = 32, kHeadChannels = 1280, kMinSide = 8;

// torchvision's _make_divisible(v, 8): nearest multiple of 8, never below 90% of v.
int64_t make_divisible(double v) {
  int64_t r = std::max<int64_t>(8, int64_t(v + 4) / 8 * 8);
  if (double(r) < 0.9 * v) r += 8;
  return r;
}

double multiplier(const ModelSpec& s) { return double(s.width) / double(kStemChannels); }

void resolve(ModelSpec& s) {
  SHRINK_CHECK(s.depth <= kNumStages, "mobilenet: depth (inverted residual stages) must be at most ", kNumStages,
               ", got ", s.depth);
  SHRINK_CHECK(s.width <= 16 * kStemChannels, "mobilenet: width must be at most ", 16 * kStemChannels, " (16x), got ",
               s.width);
  SHRINK_CHECK(s.input[1] >= kMinSide && s.input[2] >= kMinSide, "mobilenet: input must be at least ", kMinSide, "x",
               kMinSide, ", got ", s.input[1], "x", s.input[2]);
}

std::string conv_bn(LayerBuilder& b, const std::string& x, int64_t cin, int64_t cout, int64_t k, int64_t stride,
                    int64_t groups, const std::string& name, bool relu6) {
  std::string y = b.batch_norm(b.conv(x, cin, cout, k, stride, groups, /*bias=*/false, name + ".conv"), cout, name + ".bn");
  return relu6 ? b.relu6(y, name + ".relu6") : y;
}

std::string inverted_residual(LayerBuilder& b, const std::string& x, int64_t cin, int64_t cout, int64_t expand,
                              int64_t stride, const std::string& name) {
  const int64_t hidden = cin * expand;
  std::string y = x;
  if (expand != 1) y = conv_bn(b, y, cin, hidden, 1, 1, 1, name + ".expand", true);
  y = conv_bn(b, y, hidden, hidden, 3, stride, hidden, name + ".depthwise", true);
  y = conv_bn(b, y, hidden, cout, 1, 1, 1, name + ".project", false);
  if (stride == 1 && cin == cout) y = b.op("Add", {x, y}, {}, name + ".add");
  return y;
}

std::string build(LayerBuilder& b, const ModelSpec& s, const std::string& input) {
  const double alpha = multiplier(s);
  int64_t c = make_divisible(kStemChannels * alpha);
  std::string x = conv_bn(b, input, s.input[0], c, 3, 1, 1, "stem", true);
  for (int64_t stage = 0; stage < s.depth; ++stage) {
    const StageRow& row = kStages[stage];
    const int64_t cout = make_divisible(double(row.channels) * alpha);
    for (int64_t i = 0; i < row.blocks; ++i) {
      const std::string name = "stage" + std::to_string(stage + 1) + ".block" + std::to_string(i);
      x = inverted_residual(b, x, c, cout, row.expand, i == 0 ? row.stride : 1, name);
      c = cout;
    }
  }
  const int64_t head = make_divisible(kHeadChannels * std::max(1.0, alpha));
  x = conv_bn(b, x, c, head, 1, 1, 1, "head", true);
  x = b.dropout(b.global_avg_pool(x, "pool"), 0.2f, "dropout");
  return b.linear(x, head, s.classes, "fc");
}

}  // namespace

extern const ArchDef kMobileNet{
    .info = {.name = "mobilenet",
             .summary = "MobileNetV2 for small inputs: inverted residuals, depthwise convs, ReLU6, GAP -> Gemm",
             .input_kind = InputKind::kImage,
             .default_input = {3, 32, 32},
             .default_width = 32,
             .default_depth = 7,
             .width_meaning = "32 x width multiplier (16: 0.5x, 32: 1.0x)",
             .depth_meaning = "inverted residual stages of the paper's table used (1-7)"},
    .resolve = resolve,
    .build = build};

}  // namespace shrink::train
