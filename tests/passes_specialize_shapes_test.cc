// passes::specialize_shapes and the Session's per-signature specialized graphs: PyTorch's shape
// arithmetic (Shape -> Gather -> Unsqueeze -> Concat -> Reshape) folds away for the shapes of the
// inputs at hand; results equal the reference for every signature (alternating batch sizes reuse
// their specialized graph); graphs whose shapes need run-time values, shape values that are graph
// outputs, and bad inputs keep their usual behavior.
#include <gtest/gtest.h>

#include "graph_test_util.h"

#include "ir/builder.h"
#include "ops/op.h"
#include "passes/passes.h"
#include "runtime/session.h"

namespace shrink {
namespace {

using test_util::count_op;

// x [N, 6] -> Reshape(x, concat(Shape(x)[0], [3, 2])) -> Relu; optionally Shape(x) as a second output.
ir::Graph reshape_by_shape(bool shape_output = false) {
  ir::Graph g;
  g.opsets = {{"", 17}};
  ir::GraphBuilder b(g);
  g.inputs.push_back({"x", DType::kFloat32, std::vector<ir::Dim>{{-1, "N"}, {6, ""}}, ""});
  const std::string shape = b.op("Shape", {"x"}, {}, "shape");
  const std::string n = b.op("Gather", {shape, b.constant("zero", Tensor::scalar<int64_t>(0))}, {{"axis", int64_t(0)}}, "n");
  const std::string n1 = b.op("Unsqueeze", {n, b.constant("axes", Tensor::from_vector<int64_t>({0}, {1}))}, {}, "n1");
  const std::string dims =
      b.op("Concat", {n1, b.constant("rest", Tensor::from_vector<int64_t>({3, 2}, {2}))}, {{"axis", int64_t(0)}}, "dims");
  const std::string y = b.op("Relu", {b.op("Reshape", {"x", dims}, {}, "reshape")}, {}, "relu");
  g.outputs.push_back({y, DType::kFloat32, std::nullopt, ""});
  if (shape_output) g.outputs.push_back({shape, DType::kInt64, std::nullopt, ""});
  ops::bind_all(g);
  return g;
}

TEST(SpecializeShapes, FoldsShapeArithmetic) {
  const ir::Graph g = reshape_by_shape();
  const passes::InputSignature sig[] = {{DType::kFloat32, {5, 6}}};
  const auto s = passes::specialize_shapes(g, sig);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(count_op(*s, "Shape"), 0);
  EXPECT_EQ(count_op(*s, "Concat"), 0);
  EXPECT_EQ(s->nodes.size(), 2u);  // Reshape, Relu
  const Tensor* dims = s->initializer(s->nodes[0].inputs[1]);
  ASSERT_NE(dims, nullptr);
  EXPECT_EQ(dims->to_int64_vector(), (std::vector<int64_t>{5, 3, 2}));
  // Nothing to fold: nullopt.
  EXPECT_FALSE(passes::specialize_shapes(*s, sig).has_value());
}

TEST(SpecializeShapes, SessionMatchesReferenceForEverySignature) {
  const ir::Graph g = reshape_by_shape();
  runtime::Session fast(g), ref(g, {.reference_only = true});
  for (int64_t n : {2, 5, 2, 7, 1, 3, 2}) {  // more signatures than the session keeps
    SCOPED_TRACE(n);
    const Tensor x = test_util::random_tensor({n, 6}, uint64_t(n));
    const Tensor a = fast.run({x})[0], b = ref.run({x})[0];
    EXPECT_EQ(a.shape(), (Shape{n, 3, 2}));
    EXPECT_TRUE(a.bit_equal(b));
    EXPECT_EQ(count_op(fast.graph(), "Shape"), 0);
    EXPECT_EQ(fast.kernel_names().size(), fast.graph().nodes.size());
  }
  EXPECT_EQ(count_op(ref.graph(), "Shape"), 1);  // the oracle runs the graph as it is
}

TEST(SpecializeShapes, ShapeValueThatIsAnOutputStaysComputed) {
  const ir::Graph g = reshape_by_shape(true);
  runtime::Session fast(g);
  const auto y = fast.run({test_util::random_tensor({4, 6}, 1)});
  ASSERT_EQ(y.size(), 2u);
  EXPECT_EQ(y[1].to_int64_vector(), (std::vector<int64_t>{4, 6}));
  EXPECT_EQ(y[0].shape(), (Shape{4, 3, 2}));
}

TEST(SpecializeShapes, RunTimeShapeValuesAreNotSpecialized) {
  // Reshape(x, s) with s a graph input: its output shape needs s's value, so nothing is specialized
  // after it; the Shape before it still folds only if everything after infers, which it cannot.
  ir::Graph g;
  g.opsets = {{"", 17}};
  ir::GraphBuilder b(g);
  g.inputs.push_back({"x", DType::kFloat32, std::nullopt, ""});
  g.inputs.push_back({"s", DType::kInt64, std::nullopt, ""});
  const std::string r = b.op("Reshape", {"x", "s"}, {}, "reshape");
  const std::string sh = b.op("Shape", {r}, {}, "shape");
  const std::string y = b.op("Cast", {sh}, {{"to", int64_t(DType::kFloat32)}}, "cast");
  g.outputs.push_back({y, DType::kFloat32, std::nullopt, ""});
  ops::bind_all(g);
  const passes::InputSignature sig[] = {{DType::kFloat32, {2, 6}}, {DType::kInt64, {2}}};
  EXPECT_FALSE(passes::specialize_shapes(g, sig).has_value());
  runtime::Session fast(g);
  for (auto dims : {std::vector<int64_t>{3, 4}, std::vector<int64_t>{12, 1}}) {
    const auto out = fast.run({test_util::random_tensor({2, 6}, 3), Tensor::from_vector<int64_t>(dims, {2})})[0];
    EXPECT_EQ(out.data<float>()[0], float(dims[0]));
    EXPECT_EQ(out.data<float>()[1], float(dims[1]));
  }
}

TEST(SpecializeShapes, BadInputsFailAsBefore) {
  const ir::Graph g = reshape_by_shape();
  runtime::Session fast(g);
  try {
    fast.run({test_util::random_tensor({2, 5}, 1)});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("input 'x' dim 1 must be 6"), std::string::npos) << e.what();
  }
  // An empty batch specializes and runs.
  const auto y = fast.run({Tensor(DType::kFloat32, {0, 6})})[0];
  EXPECT_EQ(y.shape(), (Shape{0, 3, 2}));
}

// A graph output that is (a view of) a folded constant comes back as a copy: writing into it does
// not change what the next run returns.
TEST(SpecializeShapes, OutputsDoNotAliasFoldedConstants) {
  ir::Graph g;
  g.opsets = {{"", 17}};
  ir::GraphBuilder b(g);
  g.inputs.push_back({"x", DType::kFloat32, std::vector<ir::Dim>{{-1, "N"}, {6, ""}}, ""});
  const std::string y = b.op("Identity", {b.op("Shape", {"x"}, {}, "shape")}, {}, "id");
  g.outputs.push_back({y, DType::kInt64, std::nullopt, ""});
  ops::bind_all(g);
  runtime::Session s(g);
  const Tensor x = test_util::random_tensor({3, 6}, 1);
  Tensor first = s.run({x})[0];
  EXPECT_EQ(first.to_int64_vector(), (std::vector<int64_t>{3, 6}));
  first.data<int64_t>()[0] = 999;
  EXPECT_EQ(s.run({x})[0].to_int64_vector(), (std::vector<int64_t>{3, 6}));
}

}  // namespace
}  // namespace shrink
