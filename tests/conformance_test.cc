// ONNX backend node conformance: every case in ../shared/onnx-node-tests (and the expanded
// variants) runs through the public `shrink run` path and is compared as the ONNX runner does
// (same output count, exact shape and dtype, |a-e| <= 1e-7 + 1e-3|e|, NaN == NaN). Cases listed
// in tests/conformance_expected_failures*.tsv must instead fail cleanly with exit code 2, or (for
// random training Dropout) match shape and dtype only; the list's reasons are in docs/conformance.md.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include "cli/cli_main.h"
#include "cli/tensor_files.h"
#include "onnx/model_io.h"
#include "onnx/tensor_proto.h"

namespace shrink {
namespace {

namespace fs = std::filesystem;

fs::path shared_dir() {
  if (const char* s = std::getenv("SHRINK_SHARED_DIR")) return s;
  return fs::path(SHRINK_SOURCE_DIR) / ".." / "shared";
}

struct Expectation {
  std::string kind;  // "unsupported" (must exit 2) or "shape-only"
  std::string reason;
};

std::map<std::string, Expectation> expected_failures() {
  std::map<std::string, Expectation> m;
  for (const auto& e : fs::directory_iterator(fs::path(SHRINK_SOURCE_DIR) / "tests")) {
  const std::string fname = e.path().filename().string();
  if (fname.rfind("conformance_expected_failures", 0) != 0 || e.path().extension() != ".tsv") continue;
  std::ifstream in(e.path());
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t a = line.find('\t'), b = line.find('\t', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    m[line.substr(0, a)] = {line.substr(a + 1, b - a - 1), line.substr(b + 1)};
  }
  }
  return m;
}

std::vector<std::string> cases() {
  std::vector<std::string> v;
  for (const char* suite : {"onnx-node-tests", "onnx-node-tests-expanded"}) {
    fs::path dir = shared_dir() / suite;
    if (!fs::exists(dir)) continue;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_directory()) v.push_back(std::string(suite) + "/" + e.path().filename().string());
  }
  std::sort(v.begin(), v.end());
  return v;
}

std::string test_name(const std::string& c) {
  std::string s = c.substr(c.find('/') + 1);
  if (c.rfind("onnx-node-tests-expanded", 0) == 0) s = "x_" + s;
  for (char& ch : s)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return s;
}

::testing::AssertionResult close_enough(const Tensor& got, const Tensor& exp) {
  if (got.dtype() != exp.dtype())
    return ::testing::AssertionFailure() << "dtype " << dtype_name(got.dtype()) << " != " << dtype_name(exp.dtype());
  if (got.shape() != exp.shape())
    return ::testing::AssertionFailure() << "shape " << shape_str(got.shape()) << " != " << shape_str(exp.shape());
  for (int64_t i = 0; i < exp.numel(); ++i) {
    double a = got.as_double(i), e = exp.as_double(i);
    if (std::isnan(e) && std::isnan(a)) continue;
    if (std::isinf(e) && a == e) continue;
    if (dtype_size(exp.dtype()) == 8 && !is_float(exp.dtype())) {
      if (got.as_int64(i) != exp.as_int64(i))
        return ::testing::AssertionFailure() << "element " << i << ": " << got.as_int64(i) << " != " << exp.as_int64(i);
      continue;
    }
    if (!(std::fabs(a - e) <= 1e-7 + 1e-3 * std::fabs(e)))
      return ::testing::AssertionFailure() << "element " << i << ": got " << a << ", expected " << e;
  }
  return ::testing::AssertionSuccess();
}

class Conformance : public ::testing::TestWithParam<std::string> {};

TEST_P(Conformance, Case) {
  const fs::path dir = shared_dir() / GetParam();
  const fs::path data = dir / "test_data_set_0";
  std::vector<std::string> args{"run", (dir / "model.onnx").string()};
  for (int i = 0; fs::exists(data / ("input_" + std::to_string(i) + ".pb")); ++i) {
    args.push_back("-i");
    args.push_back((data / ("input_" + std::to_string(i) + ".pb")).string());
  }
  fs::path out = fs::temp_directory_path() / ("shrink_conf_" + std::to_string(::getpid()) + "_" + test_name(GetParam()));
  fs::remove_all(out);
  args.insert(args.end(), {"-o", out.string(), "--format", "pb"});

  static const auto expected = expected_failures();
  std::string case_name = GetParam().substr(GetParam().find('/') + 1);
  auto it = expected.find(case_name);
  int rc = cli::cli_main(args);
  if (it != expected.end() && it->second.kind == "unsupported") {
    EXPECT_EQ(rc, 2) << "expected a clean refusal (" << it->second.reason << ")";
    EXPECT_FALSE(fs::exists(out) && !fs::is_empty(out)) << "refused case wrote output";
    fs::remove_all(out);
    return;
  }
  ASSERT_EQ(rc, 0) << "shrink run failed";
  for (int j = 0; fs::exists(data / ("output_" + std::to_string(j) + ".pb")); ++j) {
    onnx::TensorProto tp;
    Tensor exp = onnx_io::read_tensor_pb((data / ("output_" + std::to_string(j) + ".pb")).string());
    // The expected file's TensorProto name is the graph output name.
    std::ifstream f(data / ("output_" + std::to_string(j) + ".pb"), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(f)), {});
    ASSERT_TRUE(tp.ParseFromString(bytes));
    fs::path got_path = out / (cli::sanitize_file_name(tp.name()) + ".pb");
    ASSERT_TRUE(fs::exists(got_path)) << "missing output " << tp.name();
    Tensor got = onnx_io::read_tensor_pb(got_path.string());
    if (it != expected.end() && it->second.kind == "shape-only") {
      EXPECT_EQ(got.dtype(), exp.dtype());
      EXPECT_EQ(got.shape(), exp.shape());
    } else {
      EXPECT_TRUE(close_enough(got, exp)) << "output " << j << " '" << tp.name() << "'";
    }
  }
  fs::remove_all(out);
}

INSTANTIATE_TEST_SUITE_P(Onnx, Conformance, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return test_name(info.param); });

TEST(ConformanceData, IsPresent) {
  ASSERT_TRUE(fs::exists(shared_dir() / "onnx-node-tests" / "INDEX.tsv"))
      << "the ONNX node tests must be at " << shared_dir() << " (set SHRINK_SHARED_DIR)";
  EXPECT_GE(cases().size(), 559u);
}

}  // namespace
}  // namespace shrink
