// Shape-family ops on cases the ONNX node tests miss: awkward sizes (1, 7, 13, 127), int64 and
// bool data, attribute forms of old opsets, INT64 slice bounds, and bad inputs that must be
// refused as kBadInput rather than crash or allocate.
#include <gtest/gtest.h>

#include <numeric>

#include "ops/op.h"

namespace shrink {
namespace {

ir::Node make_node(const std::string& op, int n_in, int n_out = 1, ir::AttributeMap attrs = {}) {
  ir::Node n;
  n.name = "n";
  n.op_type = op;
  for (int i = 0; i < n_in; ++i) n.inputs.push_back("i" + std::to_string(i));
  for (int i = 0; i < n_out; ++i) n.outputs.push_back("o" + std::to_string(i));
  n.attrs = std::move(attrs);
  return n;
}

std::vector<Tensor> run(ir::Node n, std::vector<Tensor> in, int64_t opset = 18) {
  ops::bind(n, opset);
  return ops::run_reference(n, in);
}

template <class T>
Tensor iota(Shape s) {
  Tensor t(dtype_of<T>, s);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<T>()[i] = T(i);
  return t;
}

Tensor ints(std::vector<int64_t> v) { return Tensor::from_vector(v, {int64_t(v.size())}); }

template <class T>
std::vector<T> values(const Tensor& t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.numel());
}

bool bad_input(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind() == ErrorKind::kBadInput;
  }
  return false;
}

TEST(OpsShape, TransposeOddSizesInt64) {
  Tensor x = iota<int64_t>({7, 13, 1});
  auto y = run(make_node("Transpose", 1, 1, {{"perm", std::vector<int64_t>{2, 1, 0}}}), {x});
  ASSERT_EQ(y[0].shape(), (Shape{1, 13, 7}));
  for (int64_t i = 0; i < 7; ++i)
    for (int64_t j = 0; j < 13; ++j) EXPECT_EQ(y[0].data<int64_t>()[j * 7 + i], i * 13 + j);
  EXPECT_TRUE(bad_input([&] { run(make_node("Transpose", 1, 1, {{"perm", std::vector<int64_t>{0, 0, 1}}}), {x}); }));
}

TEST(OpsShape, SliceInt64BoundsAndNegativeSteps) {
  Tensor x = iota<int64_t>({127});
  auto y = run(make_node("Slice", 5), {x, ints({INT64_MAX}), ints({INT64_MIN}), ints({0}), ints({-3})});
  ASSERT_EQ(y[0].shape(), (Shape{43}));
  EXPECT_EQ(y[0].data<int64_t>()[0], 126);
  EXPECT_EQ(y[0].data<int64_t>()[42], 0);
  auto z = run(make_node("Slice", 5), {x, ints({5}), ints({INT64_MAX}), ints({-1}), ints({INT64_MAX})});
  EXPECT_EQ(values<int64_t>(z[0]), (std::vector<int64_t>{5}));
  EXPECT_TRUE(bad_input([&] { run(make_node("Slice", 5), {x, ints({0}), ints({1}), ints({0}), ints({0})}); }));
  EXPECT_TRUE(bad_input([&] { run(make_node("Slice", 5), {x, ints({0}), ints({1}), ints({1}), ints({1})}); }));
}

TEST(OpsShape, GatherOutOfRangeIsBadInput) {
  Tensor x = iota<float>({7, 3});
  auto y = run(make_node("Gather", 2), {x, ints({-1, 0})});
  EXPECT_EQ(y[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(y[0].data<float>()[0], 18.f);
  EXPECT_TRUE(bad_input([&] { run(make_node("Gather", 2), {x, ints({7})}); }));
  EXPECT_TRUE(bad_input([&] { run(make_node("Gather", 2), {x, ints({-8})}); }));
}

TEST(OpsShape, ReshapeRefusesBadShapes) {
  Tensor x = iota<float>({1, 7, 13});
  EXPECT_EQ(run(make_node("Reshape", 2), {x, ints({0, -1})})[0].shape(), (Shape{1, 91}));
  EXPECT_TRUE(bad_input([&] { run(make_node("Reshape", 2), {x, ints({-1, -1})}); }));
  EXPECT_TRUE(bad_input([&] { run(make_node("Reshape", 2), {x, ints({5, -1})}); }));
  EXPECT_TRUE(bad_input([&] { run(make_node("Reshape", 2), {x, ints({INT64_MAX, INT64_MAX})}); }));
}

TEST(OpsShape, HugeShapesAreRefusedNotAllocated) {
  Tensor x = iota<float>({2});
  EXPECT_TRUE(bad_input([&] { run(make_node("Expand", 2), {x, ints({1 << 30, 1 << 30, 2})}); }));
  EXPECT_TRUE(bad_input([&] { run(make_node("Tile", 2), {x, ints({INT64_MAX})}); }));
  EXPECT_TRUE(bad_input([&] { run(make_node("ConstantOfShape", 1), {ints({1 << 30, 1 << 30, 1 << 30})}); }));
  EXPECT_TRUE(bad_input([&] {
    run(make_node("Range", 3), {Tensor::scalar<int64_t>(INT64_MIN), Tensor::scalar<int64_t>(INT64_MAX),
                                Tensor::scalar<int64_t>(1)});
  }));
  EXPECT_TRUE(bad_input([&] {
    run(make_node("Range", 3), {Tensor::scalar<int32_t>(0), Tensor::scalar<int32_t>(5), Tensor::scalar<int32_t>(0)});
  }));
}

TEST(OpsShape, RangeInt64NegativeDelta) {
  auto y = run(make_node("Range", 3),
               {Tensor::scalar<int64_t>(10), Tensor::scalar<int64_t>(-3), Tensor::scalar<int64_t>(-4)});
  EXPECT_EQ(values<int64_t>(y[0]), (std::vector<int64_t>{10, 6, 2, -2}));
}

TEST(OpsShape, SplitAttrFormAndUnevenOpset18) {
  Tensor x = iota<int64_t>({13});
  auto a = run(make_node("Split", 1, 2, {{"split", std::vector<int64_t>{6, 7}}}), {x}, 11);
  EXPECT_EQ(a[1].shape(), (Shape{7}));
  EXPECT_EQ(a[1].data<int64_t>()[0], 6);
  auto b = run(make_node("Split", 1, 4, {{"num_outputs", int64_t(4)}}), {x}, 18);
  EXPECT_EQ(b[3].shape(), (Shape{1}));
  EXPECT_EQ(b[3].data<int64_t>()[0], 12);
  EXPECT_TRUE(bad_input([&] { run(make_node("Split", 1, 4), {x}, 13); }));
}

TEST(OpsShape, PadModesOnBoolAndOldAttrs) {
  Tensor x = iota<int32_t>({1, 3});
  auto r = run(make_node("Pad", 2, 1, {{"mode", std::string("reflect")}}), {x, ints({0, 4, 0, 4})});
  EXPECT_EQ(values<int32_t>(r[0]), (std::vector<int32_t>{0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2}));
  auto w = run(make_node("Pad", 2, 1, {{"mode", std::string("wrap")}}), {x, ints({0, 1, 0, -1})});
  EXPECT_EQ(values<int32_t>(w[0]), (std::vector<int32_t>{2, 0, 1}));
  auto old = run(make_node("Pad", 1, 1, {{"pads", std::vector<int64_t>{0, 1, 0, 0}}, {"value", 9.f}}), {x}, 10);
  EXPECT_EQ(values<int32_t>(old[0]), (std::vector<int32_t>{9, 0, 1, 2}));
  Tensor b = Tensor::from_vector<bool>({true}, {1});
  auto e = run(make_node("Pad", 2, 1, {{"mode", std::string("edge")}}), {b, ints({2, 1})});
  EXPECT_EQ(values<bool>(e[0]), (std::vector<bool>{true, true, true, true}));
  EXPECT_TRUE(bad_input([&] { run(make_node("Pad", 2), {x, ints({0, -5, 0, 0})}); }));
  EXPECT_TRUE(bad_input([&] { run(make_node("Pad", 2), {x, ints({0, INT64_MIN, 0, 0})}); }));
  EXPECT_TRUE(bad_input([&] { run(make_node("Pad", 2), {x, ints({0, int64_t(1) << 40, 0, int64_t(1) << 40})}); }));
}

TEST(OpsShape, SqueezeUnsqueezeAttrFormAndErrors) {
  Tensor x = iota<float>({1, 7, 1});
  EXPECT_EQ(run(make_node("Squeeze", 1, 1, {{"axes", std::vector<int64_t>{-1}}}), {x}, 11)[0].shape(), (Shape{1, 7}));
  EXPECT_EQ(run(make_node("Squeeze", 1), {x}, 13)[0].shape(), (Shape{7}));
  EXPECT_EQ(run(make_node("Unsqueeze", 1, 1, {{"axes", std::vector<int64_t>{0, 4}}}), {x}, 12)[0].shape(),
            (Shape{1, 1, 7, 1, 1}));
  EXPECT_TRUE(bad_input([&] { run(make_node("Squeeze", 2), {x, ints({1})}, 13); }));
  EXPECT_TRUE(bad_input([&] { run(make_node("Unsqueeze", 2), {x, ints({0, 0})}, 13); }));
}

TEST(OpsShape, ConcatTileExpandInt64) {
  Tensor a = iota<int64_t>({2, 1}), b = iota<int64_t>({2, 3});
  auto c = run(make_node("Concat", 2, 1, {{"axis", int64_t(-1)}}), {a, b});
  EXPECT_EQ(values<int64_t>(c[0]), (std::vector<int64_t>{0, 0, 1, 2, 1, 3, 4, 5}));
  auto t = run(make_node("Tile", 2), {a, ints({2, 3})});
  EXPECT_EQ(values<int64_t>(t[0]), (std::vector<int64_t>{0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1}));
  auto e = run(make_node("Expand", 2), {a, ints({2, 1, 2})});
  EXPECT_EQ(values<int64_t>(e[0]), (std::vector<int64_t>{0, 0, 1, 1, 0, 0, 1, 1}));
  EXPECT_TRUE(bad_input([&] { run(make_node("Concat", 2, 1, {{"axis", int64_t(0)}}), {a, b}); }));
}

TEST(OpsShape, TrainingDropoutIsSeededAndScaled) {
  Tensor x(DType::kFloat32, {127});
  for (int64_t i = 0; i < 127; ++i) x.data<float>()[i] = 1.f;
  auto node = make_node("Dropout", 3, 2, {{"seed", int64_t(3)}});
  std::vector<Tensor> in{x, Tensor::scalar(0.5f), Tensor::scalar(true)};
  auto y1 = run(node, in, 13), y2 = run(node, in, 13);
  EXPECT_TRUE(y1[0].bit_equal(y2[0]));
  int kept = 0;
  for (int64_t i = 0; i < 127; ++i) {
    const float v = y1[0].data<float>()[i];
    EXPECT_TRUE(v == 0.f || v == 2.f);
    EXPECT_EQ(v != 0.f, y1[1].data<bool>()[i]);
    kept += v != 0.f;
  }
  EXPECT_GT(kept, 20);
  EXPECT_LT(kept, 107);
}

TEST(OpsShape, ConstantRefusesStrings) {
  auto n = make_node("Constant", 0, 1, {{"value_string", std::string("x")}});
  EXPECT_TRUE(bad_input([&] { ops::bind(n, 13); }));
  auto v = run(make_node("Constant", 0, 1, {{"value_ints", std::vector<int64_t>{1, 2}}}), {}, 13);
  EXPECT_EQ(values<int64_t>(v[0]), (std::vector<int64_t>{1, 2}));
}

}  // namespace
}  // namespace shrink
