// The AVX2 depthwise int8 convolution (runtime/cpu/qconv_depthwise_kernel.cc) is chosen for
// depthwise com.shrink NhwcQConv nodes and gives the reference kernel's outputs bit for bit: odd
// channel counts (partial 16-channel blocks), stride 2, asymmetric padding (padded taps read x's
// zero point), dilation, 1x1 / 3x3 / 5x5, batch 2, u8 and s8 x and y, u8 and s8 weights with zero
// points, per-tensor and per-channel scales, Relu / Clip / none, float output, exact rounding ties
// (v / y_s = k + 0.5) and saturation.
#include <gtest/gtest.h>

#include <cstring>

#include "core/rng.h"
#include "ir/builder.h"
#include "ops/internal/quantized.h"
#include "ops/op.h"
#include "runtime/cpu/int8_requant.h"
#include "runtime/session.h"

namespace shrink {
namespace {

using Ints = std::vector<int64_t>;

struct DwCase {
  std::string name;
  int64_t batch = 1, channels = 16, h = 7, w = 7, k = 3;
  Ints strides{1, 1}, pads{1, 1, 1, 1}, dilations{1, 1};
  DType x_type = DType::kUInt8, w_type = DType::kInt8, y_type = DType::kUInt8;
  int x_zp = 0, w_zp = 0, y_zp = 0;
  // x_s = 1, w_s = 0.5, integer biases: v = acc / 2 + b, so v / y_s hits k + 0.5 exactly for y_s = 3
  // or 1.5 (whose inverses are inexact in float).
  bool per_channel = true, bias = true, requant = true, unit_scales = false;
  std::string act = "none";
  float y_scale = 0.05f;
};

Tensor random_of(Rng& rng, DType t, const Shape& s) {
  Tensor x(t, s);
  auto* p = static_cast<uint8_t*>(x.raw());
  for (int64_t i = 0; i < x.numel(); ++i) p[i] = uint8_t(rng.below(256));
  return x;
}

Tensor scalar_of(DType t, int v) {
  return t == DType::kUInt8 ? Tensor::scalar<uint8_t>(uint8_t(v)) : Tensor::scalar<int8_t>(int8_t(v));
}

ir::Graph depthwise_graph(const DwCase& c, Rng& rng) {
  ir::Graph g;
  g.opsets = {{"", 17}, {"com.shrink", 1}};
  g.inputs.push_back({"x", c.x_type, std::vector<ir::Dim>{{c.batch}, {c.h}, {c.w}, {c.channels}}, ""});
  ir::GraphBuilder b(g);
  const int64_t m = c.channels, scales = c.per_channel ? m : 1;
  Tensor ws(DType::kFloat32, {scales}), wz(c.w_type, {scales}), bias(DType::kFloat32, {m});
  for (int64_t i = 0; i < scales; ++i) {
    ws.data<float>()[i] = c.unit_scales ? 0.5f : rng.uniform(0.002f, 0.01f);
    static_cast<uint8_t*>(wz.raw())[i] = uint8_t(c.w_zp + int(i % 3));  // differs by channel
  }
  for (int64_t i = 0; i < m; ++i) bias.data<float>()[i] = c.unit_scales ? float(int(rng.below(9)) - 4) : rng.uniform(-1.f, 1.f);
  std::vector<std::string> in{"x",
                              b.constant("xs", Tensor::scalar<float>(c.unit_scales ? 1.f : 0.03f)),
                              b.constant("xz", scalar_of(c.x_type, c.x_zp)),
                              b.constant("w", random_of(rng, c.w_type, {m, 1, c.k, c.k})),
                              b.constant("ws", c.per_channel ? ws : ws.reshaped({})),
                              b.constant("wz", c.per_channel ? wz : wz.reshaped({})),
                              c.bias ? b.constant("b", bias) : ""};
  if (c.requant) {
    in.push_back(b.constant("ys", Tensor::scalar<float>(c.y_scale)));
    in.push_back(b.constant("yz", scalar_of(c.y_type, c.y_zp)));
  }
  ir::AttributeMap attrs{{"group", m}, {"strides", c.strides}, {"pads", c.pads}, {"dilations", c.dilations},
                         {"activation", c.act}};
  if (c.act == "Clip") attrs["alpha"] = -0.3f, attrs["beta"] = 0.6f;
  auto y = b.node("NhwcQConv", in, attrs, "dw", 1, "com.shrink")[0];
  g.outputs.push_back({y, c.requant ? c.y_type : DType::kFloat32, std::nullopt, ""});
  ops::bind_all(g);
  return g;
}

class DepthwiseQConv : public ::testing::TestWithParam<DwCase> {};

TEST_P(DepthwiseQConv, BitIdenticalToReference) {
  const DwCase& c = GetParam();
  Rng rng(7);
  const ir::Graph g = depthwise_graph(c, rng);
  for (int threads : {1, 2}) {
    runtime::Session fast(g, {.threads = threads, .optimize = false}), ref(g, {.optimize = false, .reference_only = true});
    const Tensor x = random_of(rng, c.x_type, {c.batch, c.h, c.w, c.channels});
    const Tensor a = fast.run({x})[0], r = ref.run({x})[0];
    EXPECT_EQ(fast.kernel_names()[0].second, "cpu:qconv-dw");
    ASSERT_EQ(a.dtype(), r.dtype());
    ASSERT_EQ(a.shape(), r.shape());
    int64_t differ = 0, first = -1;
    for (int64_t i = 0; i < r.numel(); ++i)
      if (std::memcmp(static_cast<const uint8_t*>(a.raw()) + i * int64_t(dtype_size(a.dtype())),
                      static_cast<const uint8_t*>(r.raw()) + i * int64_t(dtype_size(r.dtype())), dtype_size(r.dtype()))) {
        if (first < 0) first = i;
        ++differ;
      }
    EXPECT_EQ(differ, 0) << "first at " << first << ": " << a.as_double(first) << " vs " << r.as_double(first);
  }
}

DwCase with(DwCase c, auto f) {
  f(c);
  return c;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, DepthwiseQConv,
    ::testing::Values(
        with(DwCase{"odd_channels_relu_batch2"}, [](DwCase& c) { c.batch = 2, c.channels = 13, c.x_zp = 131, c.y_zp = 7, c.act = "Relu"; }),
        with(DwCase{"stride2_s8_clip"}, [](DwCase& c) {
          c.channels = 24, c.h = 9, c.w = 9, c.strides = {2, 2}, c.x_type = DType::kInt8, c.x_zp = -5;
          c.y_type = DType::kInt8, c.y_zp = -3, c.act = "Clip";
        }),
        with(DwCase{"row_stride2_col_stride1_asymmetric_pads"}, [](DwCase& c) {
          c.channels = 40, c.h = 6, c.w = 11, c.strides = {2, 1}, c.pads = {0, 2, 1, 0}, c.x_zp = 77, c.w_zp = -2;
        }),
        with(DwCase{"5x5_dilated_float_output"}, [](DwCase& c) {
          c.channels = 17, c.h = 10, c.w = 9, c.k = 5, c.dilations = {2, 1}, c.pads = {4, 2, 4, 2}, c.requant = false;
          c.bias = false, c.x_zp = 9, c.act = "Relu";
        }),
        with(DwCase{"u8_weights_per_tensor"}, [](DwCase& c) {
          c.channels = 32, c.h = 8, c.w = 8, c.w_type = DType::kUInt8, c.w_zp = 120, c.per_channel = false, c.x_zp = 250;
        }),
        with(DwCase{"1x1_s8_x"}, [](DwCase& c) { c.channels = 19, c.k = 1, c.pads = {0, 0, 0, 0}, c.x_type = DType::kInt8; }),
        with(DwCase{"ties_and_saturation"}, [](DwCase& c) {
          c.channels = 48, c.unit_scales = true, c.y_scale = 3.f, c.x_zp = 128, c.w_zp = -1, c.y_zp = 100;
        }),
        with(DwCase{"ties_s8_relu"}, [](DwCase& c) {
          c.channels = 21, c.unit_scales = true, c.y_scale = 1.5f, c.x_type = DType::kInt8, c.y_type = DType::kInt8;
          c.strides = {2, 2}, c.act = "Relu";
        }),
        with(DwCase{"relu_into_u8_zero_point_0"}, [](DwCase& c) { c.channels = 35, c.x_zp = 12, c.act = "Relu"; }),
        with(DwCase{"clip_covering_the_output_range"}, [](DwCase& c) {
          c.channels = 20, c.h = 11, c.w = 5, c.strides = {1, 2}, c.act = "Clip", c.y_scale = 0.6f / 255;
        }),
        with(DwCase{"wide_3x3_stride1"}, [](DwCase& c) { c.channels = 144, c.h = 14, c.w = 14, c.x_zp = 3, c.act = "Clip"; })),
    [](const ::testing::TestParamInfo<DwCase>& i) { return i.param.name; });

// Not depthwise (group 1, or a channel multiplier): left to the other kernels.
TEST(DepthwiseQConvSelection, OtherGroupingsFallThrough) {
  Rng rng(3);
  DwCase c;
  ir::Graph g = depthwise_graph(c, rng);
  auto& node = g.nodes[0];
  node.attrs["group"] = int64_t(1);
  Tensor w(DType::kInt8, {16, 16, 3, 3});
  g.initializers[node.inputs[3]] = w;
  node.typed = nullptr;
  ops::bind_all(g);
  runtime::Session s(g, {.optimize = false});
  s.run({random_of(rng, DType::kUInt8, {1, 7, 7, 16})});
  EXPECT_NE(s.kernel_names()[0].second, "cpu:qconv-dw");
}


// A Relu / Clip is dropped only when saturation does its work: its bounds quantize to the ends of
// y's range.
TEST(EffectiveActivation, DropsOnlyBoundsTheSaturationEnforces) {
  using ops::Activation, ops::QActivation, ops::effective_activation;
  const QActivation relu{Activation::kRelu}, relu6{Activation::kClip, 0.f, 6.f};
  EXPECT_EQ(effective_activation(relu, 0.1f, 0, DType::kUInt8).activation, Activation::kNone);
  EXPECT_EQ(effective_activation(relu, 0.1f, 3, DType::kUInt8).activation, Activation::kRelu);
  EXPECT_EQ(effective_activation(relu, 0.1f, 0, DType::kInt8).activation, Activation::kRelu);
  EXPECT_EQ(effective_activation(relu6, 6.f / 255, 0, DType::kUInt8).activation, Activation::kNone);
  EXPECT_EQ(effective_activation(relu6, 5.9f / 255, 0, DType::kUInt8).activation, Activation::kNone);
  EXPECT_EQ(effective_activation(relu6, 6.f / 253, 0, DType::kUInt8).activation, Activation::kClip);
  EXPECT_EQ(effective_activation(relu6, 6.f / 255, 2, DType::kUInt8).activation, Activation::kClip);
  EXPECT_EQ(effective_activation(relu6, 6.f / 255, -128, DType::kInt8).activation, Activation::kNone);
}

// The epilogue's float product with 1 / y_s is redone exactly near rounding ties: values at and
// next to y_s * (k + 0.5) for many scales quantize as the reference's double division.
TEST(Int8RequantLanes, RoundsLikeTheReferenceDivisionAtTies) {
  Rng rng(5);
  int64_t checked = 0, wrong = 0;
  for (int s = 0; s < 200; ++s) {
    runtime::Int8Requant r;
    r.requant = true;
    r.y_scale = rng.uniform(0.01f, 4.f);
    r.inv_y_scale = 1.f / r.y_scale;
    r.y_zp = float(int(rng.below(256)));
    const runtime::Int8RequantLanes<ops::Activation::kNone> lanes(r);
    alignas(32) float v[16];
    for (int k = -300; k < 300; k += 2) {
      for (int i = 0; i < 16; ++i) {
        const float tie = float(double(r.y_scale) * (k + i / 4 + 0.5));
        v[i] = i % 4 == 0 ? tie : i % 4 == 1 ? std::nextafter(tie, 1e9f) : i % 4 == 2 ? std::nextafter(tie, -1e9f) : tie * 1.0000001f;
      }
      __m256i y0, y1;
      lanes.quantize(_mm256_load_ps(v), _mm256_load_ps(v + 8), y0, y1);
      alignas(32) int32_t q[16];
      _mm256_store_si256(reinterpret_cast<__m256i*>(q), y0);
      _mm256_store_si256(reinterpret_cast<__m256i*>(q + 8), y1);
      for (int i = 0; i < 16; ++i, ++checked) {
        const int64_t ref = ops::round_saturate(double(v[i]) / double(r.y_scale), double(r.y_zp), {0, 255});
        wrong += std::max<int64_t>(q[i], 0) != ref;  // the packs saturate the low side
      }
    }
  }
  EXPECT_EQ(wrong, 0) << "of " << checked;
}

}  // namespace
}  // namespace shrink
