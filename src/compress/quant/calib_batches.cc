// Calibration batches and a pruned-graph runner over them.
#include "compress/quant/calib_batches.h"

#include <cstring>

#include "core/error.h"
#include "passes/passes.h"
#include "runtime/session.h"
#include "train/data/loader.h"

namespace shrink::compress {

std::vector<Tensor> calibration_batches(const ir::Graph& g, const CalibrationData& calib) {
  SHRINK_CHECK(calib.samples >= 1 && calib.batch >= 1 && calib.data.size() >= 1, "calibration data is empty");
  train::Dataset data{calib.data.x, Tensor()};
  if (calib.samples < data.x.dim(0)) {
    Shape s = data.x.shape();
    s[0] = calib.samples;
    Tensor head(data.x.dtype(), s);
    std::memcpy(head.raw(), data.x.raw(), head.nbytes());
    data.x = head;
  }
  train::DataLoader loader(data, {.batch = calib.batch, .shuffle = false, .mean = calib.mean, .std = calib.std});
  std::vector<Tensor> batches;
  train::Batch b;
  while (loader.next(b)) batches.push_back(b.x);
  return batches;
}

void run_over_batches(const ir::Graph& g, const std::vector<std::string>& values, const std::vector<Tensor>& batches,
                      int threads, const std::function<void(size_t, const std::vector<Tensor>&)>& f) {
  ir::Graph pruned = g;
  pruned.outputs.clear();
  for (const std::string& v : values) pruned.outputs.push_back({v, DType::kFloat32, std::nullopt, ""});
  pruned = passes::eliminate_dead_code(std::move(pruned));
  runtime::Session session(std::move(pruned), {.threads = threads});
  for (size_t i = 0; i < batches.size(); ++i) f(i, session.run({batches[i]}));
}

std::string dequantized_view(const ir::Graph& q, const std::string& v) {
  std::string quantized;
  for (const auto& n : q.nodes)
    if (n.op_type == "QuantizeLinear" && n.inputs[0] == v) quantized = n.outputs[0];
  if (quantized.empty()) return v;
  for (const auto& n : q.nodes)
    if (n.op_type == "DequantizeLinear" && n.inputs[0] == quantized) return n.outputs[0];
  return v;
}

}  // namespace shrink::compress
