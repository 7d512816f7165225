// Bad input to post-training quantization and to quantized models, at the command line: calibration
// data of the wrong shape or type, NaN / Inf in calibration samples (an error naming the sample, or
// skipped with --skip-nonfinite and a warning), constant calibration data (valid non-zero scales),
// and imported QDQ / QOperator / dynamic models with zero, negative or NaN scales or out-of-range
// zero points: exit 2, one line `shrink: error: ...`, nothing written.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>

#include <nlohmann/json.hpp>
#include <onnx/onnx_pb.h>

#include "cli/cli_main.h"
#include "compress/quant/quantize.h"
#include "core/npy.h"
#include "onnx/model_io.h"
#include "runtime/session.h"
#include "train/data/synth.h"
#include "train/models/model_zoo.h"
#include "train_data_util.h"

namespace shrink {
namespace {

struct CliResult {
  int code = 0;
  std::string err;
};

CliResult shrink_cli(const std::vector<std::string>& args) {
  testing::internal::CaptureStderr();
  CliResult r;
  r.code = cli::cli_main(args);
  r.err = testing::internal::GetCapturedStderr();
  return r;
}

// Exit 2 with exactly one line, `shrink: error: ...` containing `expect`.
void expect_one_line_error(const CliResult& r, const std::string& expect) {
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(r.err.rfind("shrink: error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(expect), std::string::npos) << "expected '" << expect << "' in: " << r.err;
}

ir::Graph cnn() { return train::build_model({.arch = "cnn-small", .input = {3, 32, 32}, .seed = 3}); }

class QuantBadInput : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::data_tmp(testing::UnitTest::GetInstance()->current_test_info()->name());
    model_ = (dir_ / "cnn.onnx").string();
    onnx_io::save_model(cnn(), model_);
    out_ = (dir_ / "q.onnx").string();
  }
  std::string npy(const std::string& name, const Tensor& t) {
    const std::string p = (dir_ / name).string();
    write_npy(p, t);
    return p;
  }
  CliResult quantize_static(const std::string& calib, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"quantize", model_, "-o", out_, "--mode", "static", "--calib", calib};
    args.insert(args.end(), extra.begin(), extra.end());
    return shrink_cli(args);
  }
  test::fs::path dir_;
  std::string model_, out_;
};

TEST_F(QuantBadInput, CalibrationDataOfWrongShapeOrType) {
  expect_one_line_error(quantize_static(npy("small.npy", train::synth_images(8, 1, {.size = 28}).x)),
                        "calibration data does not fit the model");
  EXPECT_FALSE(test::fs::exists(out_));
  Tensor ints(DType::kInt32, {8, 3, 32, 32});
  expect_one_line_error(quantize_static(npy("ints.npy", ints)), "calibration data does not fit the model");
  EXPECT_FALSE(test::fs::exists(out_));
  Tensor flat(DType::kFloat32, {8, 3 * 32 * 32});
  expect_one_line_error(quantize_static(npy("flat.npy", flat)), "calibration data does not fit the model");
  EXPECT_FALSE(test::fs::exists(out_));
}

TEST_F(QuantBadInput, NonFiniteCalibrationSamples) {
  Tensor x = train::synth_images(40, 2).x;
  const int64_t per_sample = 3 * 32 * 32;
  x.data<float>()[21 * per_sample + 7] = std::nanf("");
  x.data<float>()[37 * per_sample] = std::numeric_limits<float>::infinity();
  const std::string data = npy("nan.npy", x);
  // Batches of 32: sample 21 is in batch 1.
  expect_one_line_error(quantize_static(data), "calibration batch 1 (samples 0..31): sample 21 contains NaN or Inf");
  EXPECT_FALSE(test::fs::exists(out_));
  const std::string report = (dir_ / "r.json").string();
  const CliResult ok = quantize_static(data, {"--skip-nonfinite", "--report", report});
  ASSERT_EQ(ok.code, 0) << ok.err;
  EXPECT_NE(ok.err.find("shrink: warning: skipped 2 calibration samples with NaN or Inf (21, 37)"), std::string::npos)
      << ok.err;
  EXPECT_TRUE(test::fs::exists(out_));
  std::ifstream in(report);
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j["calibration"]["samples"], 38);
  EXPECT_EQ(j["calibration"]["skipped_samples"], nlohmann::json({21, 37}));
  for (const auto& r : j["ranges"]) EXPECT_TRUE(std::isfinite(r["scale"].get<double>()));
}

// Finite data that overflows inside the model: named by sample, or skipped by rerunning the batch
// one sample at a time.
TEST_F(QuantBadInput, SampleLeadingToInfInsideTheModel) {
  train::Dataset d = train::synth_images(20, 2);
  const int64_t per_sample = 3 * 32 * 32;
  for (int64_t i = 0; i < per_sample; ++i) d.x.data<float>()[13 * per_sample + i] = 3e38f;
  std::string msg;
  try {
    compress::quantize_static(cnn(), {}, {.data = d});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kBadInput);
    msg = e.what();
  }
  EXPECT_NE(msg.find("from sample 13"), std::string::npos) << msg;
  compress::QuantReport r;
  const ir::Graph q = compress::quantize_static(cnn(), {}, {.data = d, .skip_nonfinite = true}, &r);
  EXPECT_EQ(r.skipped_samples, std::vector<int64_t>{13});
  EXPECT_EQ(r.calibration_samples, 19);
  for (const auto& t : r.ranges) EXPECT_TRUE(std::isfinite(t.scale) && t.scale > 0) << t.tensor;
}

// All-zero (and constant) calibration data: every scale is finite and > 0, in both static forms, and
// the quantized models run to finite outputs.
TEST_F(QuantBadInput, ConstantCalibrationDataGivesValidScales) {
  for (float value : {0.f, 0.5f}) {
    Tensor x(DType::kFloat32, {16, 3, 32, 32});
    for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = value;
    for (auto format : {compress::QuantFormat::kQdq, compress::QuantFormat::kQOperator}) {
      compress::QuantReport r;
      const ir::Graph q = compress::quantize_static(cnn(), {.format = format}, {.data = {x, Tensor()}}, &r);
      for (const auto& t : r.ranges) EXPECT_TRUE(std::isfinite(t.scale) && t.scale > 0) << t.tensor << " " << value;
      for (const auto& n : q.nodes)
        for (size_t i = 0; i < n.inputs.size(); ++i)
          if (n.op_type.find("Quantize") != std::string::npos && i == 1) {
            const Tensor& s = q.initializers.at(n.inputs[1]);
            for (int64_t k = 0; k < s.numel(); ++k) EXPECT_GT(s.data<float>()[k], 0.f) << n.name;
          }
      runtime::Session s(q);
      const Tensor y = s.run({train::synth_images(4, 9).x})[0];
      for (int64_t i = 0; i < y.numel(); ++i) ASSERT_TRUE(std::isfinite(y.data<float>()[i]));
    }
  }
}

// Writes `g` with one initializer changed by `edit` (in the ModelProto, so values the IR could not
// hold, such as a uint8 of 300 in int32_data, reach the importer).
void save_edited(const ir::Graph& g, const std::string& path, const std::string& initializer,
                 const std::function<void(onnx::TensorProto&)>& edit) {
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(onnx_io::export_model(g)));
  bool found = false;
  for (auto& t : *m.mutable_graph()->mutable_initializer())
    if (t.name() == initializer) edit(t), found = true;
  ASSERT_TRUE(found) << initializer;
  std::ofstream(path, std::ios::binary) << m.SerializeAsString();
}

void set_float(onnx::TensorProto& t, float v) {
  std::string raw = t.raw_data();
  for (size_t i = 0; i + 4 <= raw.size(); i += 4) std::memcpy(raw.data() + i, &v, 4);
  t.set_raw_data(raw);
}

void set_int32_data(onnx::TensorProto& t, int32_t v) {
  const int64_t n = int64_t(t.raw_data().size());  // 1-byte types
  t.clear_raw_data();
  for (int64_t i = 0; i < n; ++i) t.add_int32_data(v);
}

// The name of input `k` of the first node of `op_type`.
std::string input_of(const ir::Graph& g, const std::string& op_type, size_t k) {
  for (const auto& n : g.nodes)
    if (n.op_type == op_type && n.inputs.size() > k) return n.inputs[k];
  ADD_FAILURE() << "no " << op_type;
  return "";
}

TEST_F(QuantBadInput, ImportedModelsWithBadScalesOrZeroPoints) {
  const compress::CalibrationData calib{.data = train::synth_images(32, 4)};
  const ir::Graph qdq = compress::quantize_static(cnn(), {}, calib);
  const ir::Graph qop = compress::quantize_static(cnn(), {.format = compress::QuantFormat::kQOperator}, calib);
  const ir::Graph dyn = compress::quantize_dynamic(
      train::build_model({.arch = "transformer", .seed = 3}), {});
  const std::string x = npy("x.npy", train::synth_images(2, 5).x);
  struct Case {
    std::string name;
    const ir::Graph* g;
    std::string op;
    size_t input;
    std::function<void(onnx::TensorProto&)> edit;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {"q_zero_scale", &qdq, "QuantizeLinear", 1, [](auto& t) { set_float(t, 0.f); }, "not a valid scale"},
      {"dq_negative_scale", &qdq, "DequantizeLinear", 1, [](auto& t) { set_float(t, -0.5f); }, "not a valid scale"},
      {"dq_nan_scale", &qdq, "DequantizeLinear", 1, [](auto& t) { set_float(t, std::nanf("")); }, "NaN"},
      {"q_zero_point_300", &qdq, "QuantizeLinear", 2, [](auto& t) { set_int32_data(t, 300); },
       "out of range for uint8"},
      {"qlinearconv_zero_w_scale", &qop, "QLinearConv", 4, [](auto& t) { set_float(t, 0.f); }, "w_scale"},
      {"qlinearconv_negative_y_scale", &qop, "QLinearConv", 6, [](auto& t) { set_float(t, -1.f); }, "y_scale"},
      {"qlinearmatmul_zero_y_scale", &qop, "QLinearMatMul", 6, [](auto& t) { set_float(t, 0.f); },
       "[QLinearMatMul"},
      {"qlinearconv_w_zero_point_200", &qop, "QLinearConv", 5, [](auto& t) { set_int32_data(t, 200); },
       "out of range for int8"},
      {"matmulinteger_zero_point_-129", &dyn, "MatMulInteger", 3, [](auto& t) { set_int32_data(t, -129); },
       "out of range for int8"},
      {"matmulinteger_uint8_zero_point", &dyn, "MatMulInteger", 3,
       [](auto& t) { t.set_data_type(onnx::TensorProto::UINT8); }, "must have the same type"},
      {"qlinearconv_uint8_w_zero_point", &qop, "QLinearConv", 5,
       [](auto& t) { t.set_data_type(onnx::TensorProto::UINT8); }, "must have the same type"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string bad = (dir_ / (c.name + ".onnx")).string(), out = (dir_ / (c.name + "_out")).string();
    save_edited(*c.g, bad, input_of(*c.g, c.op, c.input), c.edit);
    if (c.g != &dyn) {
      expect_one_line_error(shrink_cli({"run", bad, "-i", x, "-o", out}), c.expect);
      EXPECT_FALSE(test::fs::exists(out) && !test::fs::is_empty(out)) << "outputs written";
    }
    const std::string q = (dir_ / (c.name + "_q.onnx")).string();
    expect_one_line_error(shrink_cli({"quantize", bad, "-o", q, "--mode", "dynamic"}), c.expect);
    EXPECT_FALSE(test::fs::exists(q));
    expect_one_line_error(shrink_cli({"convert", bad, "-o", q}), c.expect);
    EXPECT_FALSE(test::fs::exists(q));
  }
}

}  // namespace
}  // namespace shrink
