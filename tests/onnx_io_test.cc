// ONNX import/export: lossless round trips, and the malformed-model corpus (each must be refused
// as bad input with a message naming the problem).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "cli/cli_main.h"
#include "cli/example_model.h"
#include "core/file_io.h"
#include "onnx/model_io.h"
#include "onnx/checker.h"
#include "onnx/onnx_pb.h"
#include "runtime/session.h"

namespace shrink {
namespace {

namespace fs = std::filesystem;

fs::path tmp_dir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("shrink_onnx_io_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

// A valid model: y = Relu(x + w), x float[2,3], w an initializer.
onnx::ModelProto relu_model() {
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto* op = m.add_opset_import();
  op->set_version(17);
  auto* g = m.mutable_graph();
  g->set_name("g");
  auto* x = g->add_input();
  x->set_name("x");
  x->mutable_type()->mutable_tensor_type()->set_elem_type(1);
  x->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(2);
  x->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(3);
  auto* w = g->add_initializer();
  w->set_name("w");
  w->set_data_type(1);
  w->add_dims(3);
  for (float v : {0.5f, -1.f, 2.f}) w->add_float_data(v);
  auto* add = g->add_node();
  add->set_op_type("Add");
  add->set_name("add");
  add->add_input("x");
  add->add_input("w");
  add->add_output("s");
  auto* relu = g->add_node();
  relu->set_op_type("Relu");
  relu->set_name("relu");
  relu->add_input("s");
  relu->add_output("y");
  g->add_output()->set_name("y");
  return m;
}

std::string import_error(const std::string& bytes, const std::string& base_dir = "") {
  try {
    onnx_io::import_model(bytes, {base_dir}, "m.onnx");
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBadInput) << e.what();
    return e.what();
  }
  return "";
}

std::string import_error(const onnx::ModelProto& m, const std::string& base_dir = "") {
  return import_error(m.SerializeAsString(), base_dir);
}

TEST(OnnxImport, ValidModelRuns) {
  ir::Graph g = onnx_io::import_model(relu_model().SerializeAsString(), {}, "m");
  runtime::Session s(g);
  Tensor x = Tensor::from_vector<float>({1, 1, 1, -1, -1, -1}, {2, 3});
  Tensor y = s.run({x})[0];
  EXPECT_EQ(y.data<float>()[0], 1.5f);
  EXPECT_EQ(y.data<float>()[1], 0.f);
  EXPECT_EQ(y.data<float>()[5], 1.f);
}

TEST(OnnxImport, RoundTripIsLosslessAndBitIdentical) {
  ir::Graph g = cli::example_cnn(3);
  std::string once = onnx_io::export_model(g);
  ir::Graph g2 = onnx_io::import_model(once, {}, "once");
  std::string twice = onnx_io::export_model(g2);
  EXPECT_EQ(once, twice);
  Tensor x(DType::kFloat32, {2, 3, 32, 32});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = std::sin(float(i));
  runtime::Session a(g), b(g2);
  EXPECT_TRUE(a.run({x})[0].bit_equal(b.run({x})[0]));
}

TEST(OnnxImport, RoundTripsEveryConformanceModel) {
  fs::path dir = fs::path(SHRINK_SOURCE_DIR) / ".." / "shared" / "onnx-node-tests";
  int n = 0, checked = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (!e.is_directory()) continue;
    std::string bytes = read_file((e.path() / "model.onnx").string());
    ir::Graph g;
    try {
      g = onnx_io::import_model(bytes, {}, e.path().string());
    } catch (const Error&) {
      continue;  // unsupported ops/dtypes are covered by the conformance test
    }
    std::string once = onnx_io::export_model(g);
    EXPECT_EQ(once, onnx_io::export_model(onnx_io::import_model(once, {}, "again"))) << e.path();
    ++n;
    // Debian's onnx 1.12 checker knows opsets <= 17 and IR <= 8: check what it can.
    if (g.opset() <= 17 && g.meta.ir_version <= 8) {
      onnx::ModelProto mp;
      ASSERT_TRUE(mp.ParseFromString(once));
      EXPECT_NO_THROW(onnx::checker::check_model(mp)) << e.path();
      ++checked;
    }
  }
  EXPECT_GE(n, 489);  // 559 cases less the 70 refused for out-of-scope dtypes
  EXPECT_GT(checked, 100);
}

TEST(OnnxImport, RefusesGarbage) {
  EXPECT_NE(import_error(""), "");
  EXPECT_NE(import_error("this is not a protobuf at all \xff\xff\xff\xff"), "");
  std::string good = relu_model().SerializeAsString();
  for (size_t cut : {size_t(1), good.size() / 3, good.size() / 2, good.size() - 1})
    EXPECT_NE(import_error(good.substr(0, cut)), "") << cut;
  // Random bytes, seeded.
  uint64_t s = 12345;
  for (int k = 0; k < 200; ++k) {
    std::string r(64 + k, '\0');
    for (char& c : r) c = char((s = s * 6364136223846793005ull + 1442695040888963407ull) >> 56);
    try {
      onnx_io::import_model(r, {}, "random");
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kBadInput);
    }
  }
}

TEST(OnnxImport, RefusesStructuralErrors) {
  auto m = relu_model();
  m.mutable_graph()->mutable_node(1)->set_input(0, "nowhere");
  EXPECT_NE(import_error(m).find("nowhere"), std::string::npos);

  m = relu_model();  // cycle: add reads relu's output
  m.mutable_graph()->mutable_node(0)->set_input(0, "y");
  EXPECT_NE(import_error(m).find("cycle"), std::string::npos);

  m = relu_model();  // two nodes define the same value
  m.mutable_graph()->mutable_node(1)->set_output(0, "s");
  m.mutable_graph()->mutable_output(0)->set_name("s");
  EXPECT_NE(import_error(m).find("already defined"), std::string::npos);

  m = relu_model();
  m.mutable_graph()->add_output()->set_name("y");
  EXPECT_NE(import_error(m).find("listed twice"), std::string::npos);

  m = relu_model();
  m.mutable_graph()->mutable_node(1)->set_op_type("NoSuchOp");
  EXPECT_NE(import_error(m).find("NoSuchOp"), std::string::npos);

  m = relu_model();
  m.mutable_graph()->mutable_node(1)->set_domain("com.example");
  EXPECT_NE(import_error(m).find("com.example"), std::string::npos);

  m = relu_model();
  m.mutable_opset_import(0)->set_version(5);
  EXPECT_NE(import_error(m).find("opset 5"), std::string::npos);

  m = relu_model();
  m.mutable_opset_import(0)->set_version(99);
  EXPECT_NE(import_error(m).find("opset 99"), std::string::npos);

  m = relu_model();
  m.clear_graph();
  EXPECT_NE(import_error(m).find("no graph"), std::string::npos);
}

TEST(OnnxImport, RefusesBadAttributes) {
  auto m = relu_model();
  auto* a = m.mutable_graph()->mutable_node(1)->add_attribute();
  a->set_name("bogus");
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(1);
  EXPECT_NE(import_error(m).find("bogus"), std::string::npos);

  m = relu_model();
  a = m.mutable_graph()->mutable_node(1)->add_attribute();
  a->set_name("g");
  a->set_type(onnx::AttributeProto::GRAPH);
  a->mutable_g()->set_name("sub");
  EXPECT_NE(import_error(m).find("GRAPH"), std::string::npos);
}

TEST(OnnxImport, RefusesBadInitializers) {
  auto m = relu_model();
  m.mutable_graph()->mutable_initializer(0)->add_float_data(1.f);  // 4 values for dims [3]
  EXPECT_NE(import_error(m).find("'w'"), std::string::npos);

  m = relu_model();
  auto* w = m.mutable_graph()->mutable_initializer(0);
  w->clear_float_data();
  w->set_raw_data(std::string(11, '\0'));
  EXPECT_NE(import_error(m).find("raw_data"), std::string::npos);

  m = relu_model();
  m.mutable_graph()->mutable_initializer(0)->set_dims(0, -3);
  EXPECT_NE(import_error(m).find("negative"), std::string::npos);

  m = relu_model();  // element count overflows int64
  w = m.mutable_graph()->mutable_initializer(0);
  w->clear_dims();
  for (int i = 0; i < 4; ++i) w->add_dims(int64_t(1) << 20);
  EXPECT_NE(import_error(m).find("too many elements"), std::string::npos);

  m = relu_model();
  m.mutable_graph()->mutable_initializer(0)->set_float_data(1, std::nanf(""));
  EXPECT_NE(import_error(m).find("NaN"), std::string::npos);
  m = relu_model();
  m.mutable_graph()->mutable_initializer(0)->set_float_data(2, INFINITY);
  EXPECT_NE(import_error(m).find("Inf"), std::string::npos);

  m = relu_model();
  m.mutable_graph()->mutable_initializer(0)->set_data_type(17);  // float8e4m3fn
  EXPECT_NE(import_error(m).find("float8e4m3fn"), std::string::npos);

  m = relu_model();
  m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(0)->set_dim_value(-2);
  EXPECT_NE(import_error(m).find("negative"), std::string::npos);
}

TEST(OnnxImport, RefusesDeepNesting) {
  onnx::ModelProto m = relu_model();
  onnx::GraphProto* g = m.mutable_graph();
  for (int i = 0; i < 200; ++i) {
    auto* n = g->add_node();
    n->set_op_type("If");
    auto* a = n->add_attribute();
    a->set_name("then_branch");
    a->set_type(onnx::AttributeProto::GRAPH);
    g = a->mutable_g();
  }
  EXPECT_NE(import_error(m).find("nested"), std::string::npos);
}

onnx::ModelProto with_external(const std::string& location, int64_t offset, int64_t length) {
  auto m = relu_model();
  auto* w = m.mutable_graph()->mutable_initializer(0);
  w->clear_float_data();
  w->set_data_location(onnx::TensorProto::EXTERNAL);
  auto kv = [&](const char* k, const std::string& v) {
    auto* e = w->add_external_data();
    e->set_key(k);
    e->set_value(v);
  };
  kv("location", location);
  kv("offset", std::to_string(offset));
  kv("length", std::to_string(length));
  return m;
}

TEST(OnnxImport, ExternalDataStaysInsideTheModelFolder) {
  fs::path dir = tmp_dir("ext");
  fs::path outside = tmp_dir("outside");
  float vals[3] = {1.f, 2.f, 3.f};
  std::string data(reinterpret_cast<const char*>(vals), 12);
  write_file_atomic((dir / "w.bin").string(), "xxxx" + data);
  write_file_atomic((outside / "secret.bin").string(), data);
  fs::create_symlink(outside / "secret.bin", dir / "link.bin");

  ir::Graph g = onnx_io::import_model(with_external("w.bin", 4, 12).SerializeAsString(), {dir.string()}, "m");
  EXPECT_EQ(g.initializers.at("w").data<float>()[2], 3.f);

  EXPECT_NE(import_error(with_external((outside / "secret.bin").string(), 0, 12), dir.string()).find("absolute"),
            std::string::npos);
  EXPECT_NE(import_error(with_external("../" + outside.filename().string() + "/secret.bin", 0, 12), dir.string())
                .find("leaves"),
            std::string::npos);
  EXPECT_NE(import_error(with_external("link.bin", 0, 12), dir.string()).find("outside"), std::string::npos);
  EXPECT_NE(import_error(with_external("w.bin", 8, 12), dir.string()).find("past the end"), std::string::npos);
  EXPECT_NE(import_error(with_external("w.bin", 100, 12), dir.string()).find("past the end"), std::string::npos);
  EXPECT_NE(import_error(with_external("missing.bin", 0, 12), dir.string()).find("not found"), std::string::npos);
  EXPECT_NE(import_error(with_external("w.bin", 0, 12), "").find("not allowed"), std::string::npos);
  fs::remove_all(dir);
  fs::remove_all(outside);
}

TEST(OnnxExport, LargeWeightsGoToExternalData) {
  ir::Graph g = cli::example_cnn(0);
  fs::path dir = tmp_dir("bigexport");
  onnx_io::save_model(g, (dir / "m.onnx").string(), {.external_threshold_bytes = 1000});
  EXPECT_TRUE(fs::exists(dir / "m.onnx.data"));
  ir::Graph back = onnx_io::load_model((dir / "m.onnx").string());
  for (const auto& [name, t] : g.initializers) EXPECT_TRUE(t.bit_equal(back.initializers.at(name))) << name;
  fs::remove_all(dir);
}

TEST(Cli, BadModelExitsTwoAndWritesNothing) {
  fs::path dir = tmp_dir("cli");
  write_file_atomic((dir / "bad.onnx").string(), "garbage");
  EXPECT_EQ(cli::cli_main({"convert", (dir / "bad.onnx").string(), "-o", (dir / "out.onnx").string()}), 2);
  EXPECT_FALSE(fs::exists(dir / "out.onnx"));
  EXPECT_EQ(cli::cli_main({"info", (dir / "missing.onnx").string()}), 2);
  EXPECT_EQ(cli::cli_main({"run", (dir / "bad.onnx").string(), "-o", (dir / "o").string()}), 2);
  EXPECT_FALSE(fs::exists(dir / "o"));
  EXPECT_EQ(cli::cli_main({"frobnicate"}), 2);
  EXPECT_EQ(cli::cli_main({"bench"}), 2);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace shrink
