// Core: dtype table, half conversions, shapes, npy round trip and malformed npy.
#include <gtest/gtest.h>

#include "core/half.h"
#include "core/npy.h"
#include "core/shape.h"

namespace shrink {

TEST(DType, TableMatchesOnnxCodes) {
  EXPECT_EQ(dtype_size(DType::kFloat32), 4u);
  EXPECT_EQ(dtype_name(DType::kBFloat16), "bfloat16");
  EXPECT_FALSE(traits(DType::kString).supported);
  EXPECT_EQ(onnx_type_name(17), "float8e4m3fn");
}

TEST(Half, RoundTripsAndRoundsToNearestEven) {
  for (float f : {0.f, 1.f, -2.5f, 65504.f, 6.1035156e-05f, 5.9604645e-08f})
    EXPECT_EQ(half_to_float(float_to_half(f)), f);
  EXPECT_EQ(float_to_half(1.0f + 1.0f / 2048), float_to_half(1.0f));  // tie -> even
  EXPECT_EQ(float_to_half(70000.f), 0x7c00);
  EXPECT_EQ(float_to_bf16(1.0f), 0x3f80);
}

TEST(Shape, ChecksOverflowAndNegative) {
  EXPECT_THROW(checked_numel({-1, 2}), Error);
  EXPECT_THROW(checked_numel({1 << 30, 1 << 30, 1 << 30}), Error);
  EXPECT_EQ(checked_numel({0, 1 << 30, 1 << 30, 1 << 30}), 0);
  EXPECT_EQ(broadcast_shapes({2, 1, 3}, {4, 1}), (Shape{2, 4, 3}));
  EXPECT_THROW(broadcast_shapes({2, 3}, {4}), Error);
}

TEST(Npy, RoundTrip) {
  Tensor t = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor u = parse_npy(serialize_npy(t), "mem");
  EXPECT_TRUE(t.bit_equal(u));
  Tensor s = Tensor::scalar<int64_t>(7);
  EXPECT_TRUE(s.bit_equal(parse_npy(serialize_npy(s), "mem")));
}

TEST(Npy, MalformedIsBadInput) {
  std::string good = serialize_npy(Tensor::from_vector<float>({1, 2}, {2}));
  auto bad = [](const std::string& b) {
    try {
      parse_npy(b, "x.npy");
    } catch (const Error& e) {
      return e.kind() == ErrorKind::kBadInput;
    }
    return false;
  };
  EXPECT_TRUE(bad(""));
  EXPECT_TRUE(bad("garbage garbage garbage"));
  EXPECT_TRUE(bad(good.substr(0, good.size() - 1)));  // truncated data
  EXPECT_TRUE(bad(good.substr(0, 20)));               // truncated header
  std::string f8 = good;
  f8.replace(f8.find("<f4"), 3, "<c8");
  EXPECT_TRUE(bad(f8));  // unsupported dtype
  std::string fortran = good;
  fortran.replace(fortran.find("False"), 5, "True ");
  EXPECT_TRUE(bad(fortran));
  std::string huge = good;
  huge.replace(huge.find("(2,)"), 4, "(99999999999999,)");
  EXPECT_TRUE(bad(huge));
}

}  // namespace shrink
