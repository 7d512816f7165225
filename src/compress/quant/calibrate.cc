// Streaming calibration on the runtime: one Session over the float graph with the calibrated tensors
// as extra outputs; each batch checked for NaN / Inf, then fed to the observers.
#include "compress/quant/calibrate.h"

#include <cmath>
#include <cstring>

#include "core/error.h"
#include "runtime/session.h"
#include "train/data/loader.h"

namespace shrink::compress {
namespace {

// The model's one non-initializer input.
const ir::ValueInfo& model_input(const ir::Graph& g) {
  const ir::ValueInfo* in = nullptr;
  int count = 0;
  for (const auto& v : g.inputs)
    if (!g.is_initializer(v.name)) in = &v, ++count;
  SHRINK_CHECK(count == 1, "calibration needs a model with one input; this one has ", count);
  return *in;
}

// The first n rows of x.
Tensor head_rows(const Tensor& x, int64_t n) {
  if (n >= x.dim(0)) return x;
  Shape s = x.shape();
  s[0] = n;
  Tensor out(x.dtype(), s);
  std::memcpy(out.raw(), x.raw(), out.nbytes());
  return out;
}

bool all_finite(const Tensor& t) {
  if (t.dtype() != DType::kFloat32) return true;
  const float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i)
    if (!std::isfinite(p[i])) return false;
  return true;
}

}  // namespace

std::map<std::string, Range> calibrate(const ir::Graph& g, const std::vector<std::string>& tensors,
                                       const std::string& method, const ObserverOptions& options,
                                       const CalibrationData& calib, int64_t* samples_used) {
  SHRINK_CHECK(calib.samples >= 1, "calibration needs at least 1 sample (got ", calib.samples, ")");
  SHRINK_CHECK(calib.batch >= 1, "calibration batch must be >= 1");
  SHRINK_CHECK(calib.data.size() >= 1, "calibration data is empty");
  const ir::ValueInfo& in = model_input(g);
  Shape sample;
  if (in.dims && !in.dims->empty())
    for (size_t d = 1; d < in.dims->size(); ++d) sample.push_back((*in.dims)[d].fixed() ? (*in.dims)[d].value : -1);
  else
    sample = calib.data.sample_shape();
  SHRINK_CHECK(in.dtype == DType::kFloat32 || in.dtype == DType::kInt64, "calibration: model input '", in.name,
               "' is ", dtype_name(in.dtype), " (float32 or int64 supported)");
  train::Dataset data{head_rows(calib.data.x, calib.samples), Tensor()};
  try {
    train::check_fits(data, sample, in.dtype, 0);
  } catch (const Error& e) {
    fail_input("calibration data does not fit the model: ", e.what());
  }

  std::vector<std::unique_ptr<Observer>> observers;
  ir::Graph cg = g;
  std::vector<size_t> out_index;
  for (const std::string& t : tensors) {
    observers.push_back(make_observer(method, options));
    size_t k = 0;
    while (k < cg.outputs.size() && cg.outputs[k].name != t) ++k;
    if (k == cg.outputs.size()) cg.outputs.push_back({t, DType::kFloat32, std::nullopt, ""});
    out_index.push_back(k);
  }
  runtime::Session session(std::move(cg), {.threads = calib.threads});
  train::DataLoader loader(data, {.batch = calib.batch, .shuffle = false, .mean = calib.mean, .std = calib.std});
  const int64_t total = loader.num_batches();
  train::Batch b;
  int64_t done = 0, seen = 0;
  while (loader.next(b)) {
    const int64_t first = seen, last = seen + b.x.dim(0) - 1;
    SHRINK_CHECK(all_finite(b.x), "calibration batch ", done + 1, " (samples ", first, "..", last,
                 ") contains NaN or Inf");
    std::vector<Tensor> y = session.run({b.x});
    for (size_t i = 0; i < tensors.size(); ++i) {
      const Tensor& t = y[out_index[i]];
      SHRINK_ASSERT(t.dtype() == DType::kFloat32, "calibrated tensor '", tensors[i], "' is ", dtype_name(t.dtype()));
      SHRINK_CHECK(all_finite(t), "calibration batch ", done + 1, " (samples ", first, "..", last, "): tensor '",
                   tensors[i], "' has NaN or Inf values");
      observers[i]->observe(t.data<float>(), t.numel());
    }
    seen += b.x.dim(0);
    ++done;
    if (calib.progress) calib.progress(done, total);
  }
  std::map<std::string, Range> ranges;
  for (size_t i = 0; i < tensors.size(); ++i) ranges[tensors[i]] = observers[i]->range();
  if (samples_used) *samples_used = seen;
  return ranges;
}

}  // namespace shrink::compress
