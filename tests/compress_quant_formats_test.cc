// Post-training quantization forms beyond the plain QDQ / MatMul ones (compress/quant): the static
// QOperator form (QLinearConv / QLinearMatMul, onnx.checker, shrink's int8 kernels, close to QDQ,
// ONNX Runtime agrees), static QDQ and dynamic quantization of activation x activation MatMuls
// (attention), and dynamic Conv (ConvInteger).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <map>

#include "compress/quant/quantize.h"
#include "core/npy.h"
#include "onnx/model_io.h"
#include "graph_test_util.h"
#include "runtime/session.h"
#include "train/data/synth.h"
#include "train/models/model_zoo.h"
#include "train_data_util.h"

namespace shrink {
namespace {

using compress::QuantFormat;
using compress::QuantReport;

ir::Graph model(const std::string& arch) {
  train::ModelSpec s{.arch = arch, .seed = 3};
  if (arch != "transformer") s.input = {3, 32, 32};
  return train::build_model(s);
}

train::Dataset calibration_data(const std::string& arch, int64_t n, uint64_t seed) {
  return arch == "transformer" ? train::synth_sequences(n, seed) : train::synth_images(n, seed);
}

std::map<std::string, int64_t> op_counts(const ir::Graph& g) {
  std::map<std::string, int64_t> c;
  for (const auto& n : g.nodes) ++c[n.domain.empty() ? n.op_type : n.domain + "." + n.op_type];
  return c;
}

using test_util::Closeness;
using test_util::closeness;

Tensor run(const ir::Graph& g, const Tensor& x, std::map<std::string, int64_t>* runtime_ops = nullptr) {
  runtime::Session s(g);
  if (runtime_ops) *runtime_ops = op_counts(s.graph());
  return s.run({x})[0];
}

void expect_onnx_checker(const ir::Graph& g, const std::string& name) {
  ASSERT_EQ(std::system("/usr/bin/python3 -c 'import onnx' >/dev/null 2>&1"), 0) << "python3-onnx is missing";
  const std::string path = (test::data_tmp("quant_formats") / (name + ".onnx")).string();
  onnx_io::save_model(g, path);
  const std::string cmd = "/usr/bin/python3 -c \"import onnx; onnx.checker.check_model(onnx.load('" + path +
                          "'), full_check=True)\"";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << name;
}

// Static quantization of `arch` in both forms, calibrated on the same data.
struct BothForms {
  ir::Graph flt, qdq, qop;
  QuantReport qdq_report, qop_report;
};

BothForms quantize_both(const std::string& arch) {
  BothForms b{.flt = model(arch)};
  const compress::CalibrationData calib{.data = calibration_data(arch, 64, 21), .samples = 64};
  b.qdq = compress::quantize_static(b.flt, {}, calib, &b.qdq_report);
  b.qop = compress::quantize_static(b.flt, {.format = QuantFormat::kQOperator}, calib, &b.qop_report);
  return b;
}

void expect_qoperator_form(const std::string& arch) {
  SCOPED_TRACE(arch);
  const BothForms b = quantize_both(arch);
  ir::verify(b.qop);
  EXPECT_EQ(b.qop_report.quantized, b.qdq_report.quantized);
  const auto ops = op_counts(b.qop);
  const auto& quantized = b.qop_report.quantized;
  auto count = [&](const std::map<std::string, int64_t>& m, const std::string& k) {
    auto it = m.find(k);
    return it == m.end() ? int64_t(0) : it->second;
  };
  EXPECT_EQ(count(ops, "QLinearConv"), count(quantized, "Conv"));
  EXPECT_EQ(count(ops, "QLinearMatMul"), count(quantized, "MatMul") + count(quantized, "Gemm"));
  for (const char* op : {"Conv", "Gemm"}) EXPECT_EQ(count(ops, op), 0) << op << " left in float";
  // No float op left between two quantized ones: no QuantizeLinear reads a DequantizeLinear, and no
  // DequantizeLinear reads a constant (weights are the QLinear ops' int8 inputs).
  std::map<std::string, const ir::Node*> producer;
  for (const auto& n : b.qop.nodes)
    for (const auto& o : n.outputs) producer[o] = &n;
  int64_t relu_after_qlinear = 0;
  for (const auto& n : b.qop.nodes) {
    auto p = producer.find(n.inputs[0]);
    const std::string from = p == producer.end() ? "" : p->second->op_type;
    if (n.op_type == "QuantizeLinear") {
      EXPECT_NE(from, "DequantizeLinear") << "DQ -> Q pair at " << n.name;
    }
    if (n.op_type == "DequantizeLinear") {
      EXPECT_FALSE(b.qop.is_initializer(n.inputs[0])) << n.name;
    }
    if (n.op_type == "Relu" && p != producer.end()) {
      auto pp = producer.find(p->second->inputs[0]);
      relu_after_qlinear += pp != producer.end() && pp->second->op_type == "QLinearConv";
    }
  }
  EXPECT_EQ(relu_after_qlinear, 0) << "a Relu after QLinearConv was not folded into its output range";
  // Conv + Relu: the Relu disappears as in QDQ.
  if (count(quantized, "Conv") > 0) {
    EXPECT_LT(count(ops, "Relu"), count(op_counts(b.flt), "Relu"));
  }

  const Tensor x = calibration_data(arch, 64, 31).x;
  std::map<std::string, int64_t> runtime_ops;
  const Tensor y_flt = run(b.flt, x), y_qdq = run(b.qdq, x), y_qop = run(b.qop, x, &runtime_ops);
  // fuse_qoperators maps every constant-weight QLinear op onto the int8 kernels.
  EXPECT_EQ(count(runtime_ops, "QLinearConv"), 0);
  EXPECT_EQ(count(runtime_ops, "com.shrink.QConv") + count(runtime_ops, "com.shrink.NhwcQConv"), count(quantized, "Conv"));
  const Closeness vs_qdq = closeness(y_qdq, y_qop), vs_float = closeness(y_flt, y_qop);
  std::printf("[qop %s] %lld QLinearConv, %lld QLinearMatMul, %lld QuantizeLinear, %lld DequantizeLinear; "
              "vs QDQ: argmax %.3f, rel %.4f; vs float: argmax %.3f, rel %.4f\n",
              arch.c_str(), (long long)count(ops, "QLinearConv"), (long long)count(ops, "QLinearMatMul"),
              (long long)count(ops, "QuantizeLinear"), (long long)count(ops, "DequantizeLinear"), vs_qdq.top1,
              vs_qdq.rel_err, vs_float.top1, vs_float.rel_err);
  EXPECT_GE(vs_qdq.top1, 0.95);
  EXPECT_LT(vs_qdq.rel_err, 0.03);
  EXPECT_GE(vs_float.top1, 0.9);
  EXPECT_LT(vs_float.rel_err, 0.05);
  expect_onnx_checker(b.qop, arch + "_qop");
}

TEST(CompressQuantFormats, QOperatorCnnSmall) { expect_qoperator_form("cnn-small"); }
TEST(CompressQuantFormats, QOperatorResnet) { expect_qoperator_form("resnet"); }
TEST(CompressQuantFormats, QOperatorMlp) { expect_qoperator_form("mlp"); }

// Attention's Q K^T and A V: both inputs calibrated and quantized (QDQ pairs on each), in both forms.
TEST(CompressQuantFormats, StaticTransformerQuantizesAttention) {
  const BothForms b = quantize_both("transformer");
  const ir::Graph& f = b.flt;
  int64_t activation_matmuls = 0;
  for (const auto& n : f.nodes)
    activation_matmuls += n.op_type == "MatMul" && !f.is_initializer(n.inputs[0]) && !f.is_initializer(n.inputs[1]);
  ASSERT_EQ(activation_matmuls, 4);  // 2 layers x (scores, context)
  std::map<std::string, const ir::Node*> producer;
  for (const auto& n : b.qdq.nodes)
    for (const auto& o : n.outputs) producer[o] = &n;
  int64_t both_dequantized = 0;
  for (const auto& n : b.qdq.nodes) {
    if (n.op_type != "MatMul" || b.qdq.is_initializer(n.inputs[1])) continue;
    auto a = producer.find(n.inputs[0]), c = producer.find(n.inputs[1]);
    if (a == producer.end() || c == producer.end()) continue;
    if (a->second->op_type == "DequantizeLinear" && c->second->op_type == "DequantizeLinear" &&
        !b.qdq.is_initializer(c->second->inputs[0]))
      ++both_dequantized;
  }
  EXPECT_EQ(both_dequantized, activation_matmuls);
  int64_t linear = 0, gemms = 0;  // MatMuls with weights; the classifier head
  for (const auto& n : f.nodes) linear += n.op_type == "MatMul" && f.is_initializer(n.inputs[1]);
  for (const auto& n : f.nodes) gemms += n.op_type == "Gemm";
  EXPECT_EQ(b.qdq_report.quantized.at("MatMul"), linear + activation_matmuls);
  const Tensor x = train::synth_sequences(64, 31).x;
  std::map<std::string, int64_t> qdq_ops, qop_ops;
  const Tensor y_flt = run(f, x), y_qdq = run(b.qdq, x, &qdq_ops), y_qop = run(b.qop, x, &qop_ops);
  // The weight MatMuls run on the int8 kernel; the activation ones stay DQ -> MatMul -> Q on the float
  // kernels (QDQ) or on the QLinearMatMul reference kernel (QOperator): correct, not yet fast.
  EXPECT_EQ(qdq_ops["com.shrink.QMatMul"], linear + gemms);
  EXPECT_EQ(qop_ops["com.shrink.QMatMul"], linear + gemms);
  EXPECT_EQ(qop_ops["QLinearMatMul"], activation_matmuls);
  const Closeness qdq = closeness(y_flt, y_qdq), qop = closeness(y_flt, y_qop);
  std::printf("[static transformer] QDQ vs float: argmax %.3f, rel %.4f; QOperator vs float: argmax %.3f, rel %.4f\n",
              qdq.top1, qdq.rel_err, qop.top1, qop.rel_err);
  EXPECT_GE(qdq.top1, 0.9);
  EXPECT_LT(qdq.rel_err, 0.08);
  EXPECT_GE(qop.top1, 0.9);
  EXPECT_LT(qop.rel_err, 0.08);
  expect_onnx_checker(b.qdq, "transformer_qdq");
  expect_onnx_checker(b.qop, "transformer_qop");
}

// Dynamic mode by default quantizes attention's activation x activation MatMuls too (MatMulInteger
// of two DynamicQuantizeLinear outputs), and the FFN / projection ones.
TEST(CompressQuantFormats, DynamicTransformerQuantizesAttention) {
  const ir::Graph f = model("transformer");
  QuantReport r;
  const ir::Graph q = compress::quantize_dynamic(f, {}, &r);
  int64_t matmuls = 0, activation_integer = 0, weight_integer = 0;
  for (const auto& n : f.nodes) matmuls += n.op_type == "MatMul" || n.op_type == "Gemm";
  for (const auto& n : q.nodes) {
    if (n.op_type == "MatMul") ADD_FAILURE() << "MatMul left in float: " << n.name;
    if (n.op_type != "MatMulInteger") continue;
    (q.is_initializer(n.inputs[1]) ? weight_integer : activation_integer)++;
  }
  EXPECT_EQ(activation_integer, 4);
  EXPECT_EQ(weight_integer + activation_integer, matmuls);
  EXPECT_EQ(r.quantized.at("MatMul") + r.quantized.at("Gemm"), matmuls);
  const Tensor x = train::synth_sequences(64, 31).x;
  std::map<std::string, int64_t> ops;
  const Closeness c = closeness(run(f, x), run(q, x, &ops));
  EXPECT_EQ(ops["com.shrink.QMatMul"], weight_integer);
  EXPECT_EQ(ops["MatMulInteger"], 0);
  EXPECT_EQ(ops["com.shrink.MatMulIntegerScaled"], activation_integer);  // fused with its Cast and Mul
  std::printf("[dynamic transformer] %lld weight + %lld attention MatMulInteger; vs float: argmax %.3f, rel %.4f\n",
              (long long)weight_integer, (long long)activation_integer, c.top1, c.rel_err);
  EXPECT_GE(c.top1, 0.95);
  EXPECT_LT(c.rel_err, 0.05);
  expect_onnx_checker(q, "transformer_dynamic");
}

// --op-types Conv in dynamic mode: ONNX Runtime's ConvInteger form, mapped onto the int8 conv.
TEST(CompressQuantFormats, DynamicConv) {
  for (const char* arch : {"cnn-small", "resnet"}) {
    SCOPED_TRACE(arch);
    const ir::Graph f = model(arch);
    QuantReport r;
    const ir::Graph q = compress::quantize_dynamic(f, {.op_types = {"Conv", "Gemm", "MatMul"}}, &r);
    int64_t convs = 0;
    for (const auto& n : f.nodes) convs += n.op_type == "Conv";
    const auto ops = op_counts(q);
    EXPECT_EQ(ops.count("Conv"), 0u);
    EXPECT_EQ(ops.at("ConvInteger"), convs);
    EXPECT_EQ(r.quantized.at("Conv"), convs);
    // The bias is added as [1, M, 1, 1] after the rescaling Mul.
    for (const auto& n : q.nodes)
      if (n.op_type == "Add" && n.name.find("_bias_add") != std::string::npos && q.is_initializer(n.inputs[1])) {
        const Tensor& bias = q.initializers.at(n.inputs[1]);
        if (bias.rank() == 4) {
          EXPECT_EQ(bias.dim(0) * bias.dim(2) * bias.dim(3), 1);
        }
      }
    const Tensor x = train::synth_images(32, 31).x;
    std::map<std::string, int64_t> runtime_ops;
    const Closeness c = closeness(run(f, x), run(q, x, &runtime_ops));
    EXPECT_EQ(runtime_ops["com.shrink.QConv"] + runtime_ops["com.shrink.NhwcQConv"], convs)
        << "ConvInteger not mapped onto the int8 conv";
    EXPECT_EQ(runtime_ops.count("ConvInteger"), 0u);
    EXPECT_EQ(runtime_ops.count("Cast"), 0u);
    if (std::string(arch) == "cnn-small") {
      EXPECT_EQ(runtime_ops.count("Add"), 0u) << "a bias Add was not absorbed";
    }
    std::printf("[dynamic conv %s] %lld ConvInteger; vs float: argmax %.3f, rel %.4f\n", arch, (long long)convs,
                c.top1, c.rel_err);
    EXPECT_GE(c.top1, 0.9);
    EXPECT_LT(c.rel_err, 0.05);
    expect_onnx_checker(q, std::string(arch) + "_dynamic_conv");
  }
}

// ONNX Runtime runs the QOperator and dynamic-Conv forms as written and agrees with shrink.
TEST(CompressQuantFormats, OnnxRuntimeAgrees) {
  const char* env = std::getenv("SHRINK_PEERS_DIR");
  const std::string peers = env ? env : SHRINK_SOURCE_DIR "/build/peers";
  ASSERT_TRUE(test::fs::exists(peers + "/node_modules/onnxruntime-node"))
      << "onnxruntime-node is not installed under " << peers << ": run scripts/install_peers.sh";
  const auto dir = test::data_tmp("quant_formats_ort");
  const Tensor x = train::synth_images(16, 41).x;
  write_npy((dir / "x.npy").string(), x);
  const compress::CalibrationData calib{.data = train::synth_images(64, 21)};
  const std::vector<std::pair<std::string, ir::Graph>> models = {
      {"qop_cnn", compress::quantize_static(model("cnn-small"), {.format = QuantFormat::kQOperator}, calib)},
      {"qop_mlp", compress::quantize_static(model("mlp"), {.format = QuantFormat::kQOperator}, calib)},
      {"dynamic_conv", compress::quantize_dynamic(model("cnn-small"), {.op_types = {"Conv", "Gemm"}})}};
  for (const auto& [name, q] : models) {
    const std::string path = (dir / (name + ".onnx")).string(), out = (dir / name).string();
    onnx_io::save_model(q, path);
    const std::string cmd = "SHRINK_PEERS_DIR='" + peers + "' node '" SHRINK_SOURCE_DIR "/tests/oracles/ort_run.js' '" +
                            path + "' '" + out + "' '" + (dir / "x.npy").string() + "' >/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << name;
    const Tensor ort = read_npy(out + "/" + q.outputs[0].name + ".npy");
    const Tensor ours = run(q, x);
    ASSERT_EQ(ort.shape(), ours.shape());
    double diff = 0, scale = 1e-30;
    for (int64_t i = 0; i < ours.numel(); ++i) {
      diff = std::max(diff, std::fabs(double(ours.data<float>()[i]) - ort.data<float>()[i]));
      scale = std::max(scale, std::fabs(double(ort.data<float>()[i])));
    }
    std::printf("[onnxruntime %s] max |shrink - ORT| %.3g (max |logit| %.3g)\n", name.c_str(), diff, scale);
    EXPECT_LT(diff, 1e-2 * scale) << name;
  }
}

}  // namespace
}  // namespace shrink
