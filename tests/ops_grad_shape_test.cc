// Gradient ops of broadcasting and data movement (src/ops/grad/): SumToShape, ReduceGrad,
// GatherGrad, SliceGrad and ConcatGrad, each checked against central finite differences of its
// forward reference op (Expand, ReduceSum/Mean, Gather, Slice, Concat) in double, on awkward shapes,
// for thread-count independence and bad input.
#include "grad_check.h"

namespace shrink {
namespace {

using namespace gradtest;

TEST(OpsGradShape, SumToShapeIsTheAdjointOfExpand) {
  Rng rng(21);
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{2, 3, 4}, {3, 1}}, {{7, 1, 13}, {1}}, {{1, 5}, {1, 5}}, {{4, 3}, {}},   {{13, 7}, {7}},
      {{2, 3, 4, 5}, {3, 1, 5}}, {{2, 3, 4, 5}, {2, 1, 4, 1}}, {{5}, {5}}, {{1}, {}}};
  for (const auto& [gs, ls] : cases) {
    Tensor like = random_tensor(rng, ls, -1, 1), g = random_tensor(rng, gs, -1, 1);
    ir::Node expand = onnx_node("Expand", 2);
    ops::bind(expand, 20);
    auto r = run(make_node("SumToShape", 2), {g, like});
    expect_grad_near(r[0], numeric_vjp(expand, {like, ints(gs)}, 0, g), shape_str(gs) + " -> " + shape_str(ls));
  }
  // Empty G: zeros of Like's shape.
  auto r = run(make_node("SumToShape", 2), {Tensor(DType::kFloat64, {0, 3}), Tensor(DType::kFloat64, {1, 3})});
  EXPECT_EQ(r[0].shape(), (Shape{1, 3}));
  EXPECT_EQ(r[0].data<double>()[2], 0.0);
  // int64 sums exactly.
  Tensor gi = Tensor::from_vector(std::vector<int64_t>{1, 2, 3, 4, 5, 6}, {2, 3});
  r = run(make_node("SumToShape", 2), {gi, Tensor(DType::kInt64, {2, 1})});
  EXPECT_EQ(std::vector<int64_t>(r[0].data<int64_t>(), r[0].data<int64_t>() + 2), (std::vector<int64_t>{6, 15}));
  EXPECT_TRUE(bad_input([&] { run(make_node("SumToShape", 2), {gi, Tensor(DType::kInt64, {2})}); }, "does not broadcast"));
  EXPECT_TRUE(bad_input([&] { run(make_node("SumToShape", 2), {gi, Tensor(DType::kInt64, {1, 2, 3})}); }));
  EXPECT_TRUE(bad_input([&] { run(make_node("SumToShape", 2), {gi, Tensor(DType::kFloat32, {3})}); }));
}

TEST(OpsGradShape, SumToShapeIsExactAndThreadIndependentOnLargeInputs) {
  Rng rng(22);
  ir::Node n = make_node("SumToShape", 2);
  ops::bind(n, 20);
  for (const auto& [gs, ls] : std::vector<std::pair<Shape, Shape>>{
           {{300001}, {}}, {{3, 70001}, {70001}}, {{64, 3, 1000}, {3, 1}}, {{9000, 13}, {9000, 1}}}) {
    Tensor g = random_tensor(rng, gs, -1, 1, {}, 0, DType::kFloat32);
    Tensor like(DType::kFloat32, ls);
    expect_thread_independent(n, {g, like});
    // Against a plain double sum rounded once: at most one rounding apart.
    Tensor r = ref(n, {g, like})[0];
    Tensor gd(DType::kFloat64, gs);
    for (int64_t i = 0; i < g.numel(); ++i) gd.data<double>()[i] = g.data<float>()[i];
    Tensor rd = ref(n, {gd, Tensor(DType::kFloat64, ls)})[0];
    for (int64_t i = 0; i < r.numel(); ++i) EXPECT_EQ(r.data<float>()[i], float(rd.data<double>()[i])) << i;
  }
}

TEST(OpsGradShape, ReduceGradMatchesReduceSumAndMean) {
  Rng rng(23);
  struct Case { Shape x; std::vector<int64_t> axes; int64_t keepdims; };
  for (const Case& c : {Case{{3, 4}, {1}, 1}, Case{{3, 4}, {0}, 0}, Case{{2, 3, 4}, {0, 2}, 0}, Case{{2, 3, 4}, {}, 1},
                        Case{{2, 3, 4}, {}, 0}, Case{{7, 1, 13}, {-1, 1}, 1}, Case{{5}, {0}, 0}, Case{{}, {}, 1}}) {
    for (int64_t mean : {0, 1}) {
      ir::Node fwd = onnx_node(mean ? "ReduceMean" : "ReduceSum", c.axes.empty() ? 1 : 2, 1, {{"keepdims", c.keepdims}});
      ops::bind(fwd, 18);
      Tensor x = random_tensor(rng, c.x, -1, 1);
      std::vector<Tensor> in = {x};
      if (!c.axes.empty()) in.push_back(ints(c.axes));
      Tensor y = ref(fwd, in)[0];
      Tensor dy = random_tensor(rng, y.shape(), -1, 1);
      ir::AttributeMap a = {{"keepdims", c.keepdims}, {"mean", mean}};
      if (!c.axes.empty()) a["axes"] = c.axes;
      auto dx = run(make_node("ReduceGrad", 2, 1, a), {dy, x});
      expect_grad_near(dx[0], numeric_vjp(fwd, in, 0, dy), std::string(mean ? "mean " : "sum ") + shape_str(c.x));
    }
  }
  Tensor x(DType::kFloat32, {3, 4});
  EXPECT_TRUE(bad_input([&] { run(make_node("ReduceGrad", 2, 1, {{"axes", std::vector<int64_t>{1}}}), {Tensor(DType::kFloat32, {3}), x}); },
                        "dY has shape"));
  EXPECT_TRUE(bad_input([&] { run(make_node("ReduceGrad", 2, 1, {{"axes", std::vector<int64_t>{2}}}), {Tensor(DType::kFloat32, {3, 1}), x}); }));
  EXPECT_TRUE(bad_input([&] { run(make_node("ReduceGrad", 2, 1, {{"mean", int64_t(1)}}), {Tensor(DType::kInt64, {1, 1}), Tensor(DType::kInt64, {3, 4})}); }));
}

TEST(OpsGradShape, GatherGradScatterAddsRepeatedAndNegativeIndices) {
  Rng rng(24);
  struct Case { Shape data; int64_t axis; std::vector<int64_t> idx; Shape idx_shape; };
  for (const Case& c : {Case{{5, 3}, 0, {0, -1, 4, 0, 2, 0}, {2, 3}}, Case{{2, 7, 3}, 1, {6, -7, 3, 3}, {4}},
                        Case{{4, 13}, -1, {12}, {}}, Case{{3}, 0, {}, {0}}, Case{{1, 2}, 0, {0, 0, -1}, {3}}}) {
    Tensor data = random_tensor(rng, c.data, -1, 1);
    Tensor idx = Tensor::from_vector(c.idx, c.idx_shape);
    ir::Node fwd = onnx_node("Gather", 2, 1, {{"axis", c.axis}});
    ops::bind(fwd, 13);
    Tensor dy = random_tensor(rng, ref(fwd, {data, idx})[0].shape(), -1, 1);
    auto dd = run(make_node("GatherGrad", 3, 1, {{"axis", c.axis}}), {dy, idx, data});
    expect_grad_near(dd[0], numeric_vjp(fwd, {data, idx}, 0, dy), "Gather " + shape_str(c.data));
  }
  std::vector<int64_t> many(20000);
  for (auto& v : many) v = int64_t(rng.below(7)) - 3;
  ir::Node n = make_node("GatherGrad", 3);
  ops::bind(n, 20);
  Tensor data(DType::kFloat32, {7, 33});
  expect_thread_independent(n, {random_tensor(rng, {20000, 33}, -1, 1, {}, 0, DType::kFloat32), ints(many), data});
  EXPECT_TRUE(bad_input([&] { run(make_node("GatherGrad", 3), {Tensor(DType::kFloat32, {1, 33}), ints({7}), data}); },
                        "index 7 is out of range"));
  EXPECT_TRUE(bad_input([&] { run(make_node("GatherGrad", 3), {Tensor(DType::kFloat32, {2, 33}), ints({-8, 0}), data}); }));
  EXPECT_TRUE(bad_input([&] { run(make_node("GatherGrad", 3), {Tensor(DType::kFloat32, {2, 32}), ints({0, 1}), data}); }));
}

TEST(OpsGradShape, SliceGradWritesWhereSliceReads) {
  Rng rng(25);
  struct Case { Shape x; std::vector<int64_t> starts, ends, axes, steps; };
  for (const Case& c : {Case{{7, 13}, {1, -2}, {100, 2}, {0, 1}, {2, -3}},
                        Case{{13}, {INT64_MAX}, {INT64_MIN}, {0}, {-4}},
                        Case{{2, 3, 4}, {-3}, {-1}, {-1}, {1}},
                        Case{{5, 4}, {4}, {1}, {0}, {1}},  // empty
                        Case{{6, 1, 5}, {0, 0}, {6, 5}, {0, 2}, {5, 7}},
                        Case{{3, 4}, {1}, {3}, {}, {}}}) {
    Tensor x = random_tensor(rng, c.x, -1, 1);
    std::vector<Tensor> in = {x, ints(c.starts), ints(c.ends)};
    if (!c.axes.empty()) in.push_back(ints(c.axes));
    if (!c.steps.empty()) in.push_back(ints(c.steps));
    ir::Node fwd = onnx_node("Slice", int(in.size()));
    ops::bind(fwd, 13);
    Tensor dy = random_tensor(rng, ref(fwd, in)[0].shape(), -1, 1);
    std::vector<Tensor> gin = {dy};
    gin.insert(gin.end(), in.begin(), in.end());
    auto dx = run(make_node("SliceGrad", int(gin.size())), gin);
    expect_grad_near(dx[0], numeric_vjp(fwd, in, 0, dy), "Slice " + shape_str(c.x));
  }
  Tensor x(DType::kInt64, {4, 5});
  EXPECT_TRUE(bad_input([&] { run(make_node("SliceGrad", 4), {Tensor(DType::kInt64, {2, 5}), x, ints({0}), ints({3})}); },
                        "the slice gives"));
  EXPECT_TRUE(bad_input([&] { run(make_node("SliceGrad", 6), {Tensor(DType::kInt64, {4, 5}), x, ints({0}), ints({3}), ints({0}), ints({0})}); }));
}

TEST(OpsGradShape, ConcatGradSplitsAlongAxis) {
  Rng rng(26);
  struct Case { std::vector<Shape> xs; int64_t axis; };
  for (const Case& c : {Case{{{2, 3}}, 0}, Case{{{2, 3}, {2, 1}, {2, 7}}, 1}, Case{{{1, 4, 2}, {3, 4, 2}}, -3},
                        Case{{{2, 0, 3}, {2, 5, 3}}, 1}}) {
    std::vector<Tensor> xs;
    for (const Shape& s : c.xs) xs.push_back(random_tensor(rng, s, -1, 1));
    ir::Node fwd = onnx_node("Concat", int(xs.size()), 1, {{"axis", c.axis}});
    ops::bind(fwd, 13);
    Tensor dy = random_tensor(rng, ref(fwd, xs)[0].shape(), -1, 1);
    std::vector<Tensor> gin = {dy};
    gin.insert(gin.end(), xs.begin(), xs.end());
    auto dx = run(make_node("ConcatGrad", int(gin.size()), int(xs.size()), {{"axis", c.axis}}), gin);
    for (size_t i = 0; i < xs.size(); ++i)
      expect_grad_near(dx[i], numeric_vjp(fwd, xs, i, dy), "Concat input " + std::to_string(i));
  }
  Tensor a(DType::kFloat32, {2, 3}), b(DType::kFloat32, {2, 4});
  EXPECT_TRUE(bad_input([&] { run(make_node("ConcatGrad", 3, 2, {{"axis", int64_t(1)}}), {Tensor(DType::kFloat32, {2, 8}), a, b}); },
                        "sum to 7"));
  EXPECT_TRUE(bad_input([&] { run(make_node("ConcatGrad", 3, 1, {{"axis", int64_t(1)}}), {Tensor(DType::kFloat32, {2, 7}), a, b}); }));
}

}  // namespace
}  // namespace shrink
