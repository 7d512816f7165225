// Streaming calibration on the runtime: one Session over the float graph with the calibrated tensors
// as extra outputs; each batch checked for NaN / Inf, then fed to the observers. With skip_nonfinite,
// samples holding NaN / Inf are dropped up front, and a batch whose tensors still go non-finite is
// rerun one sample at a time to drop the samples responsible.
#include "compress/quant/calibrate.h"

#include <algorithm>
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

// Rows [begin, begin + n) of x.
Tensor rows(const Tensor& x, int64_t begin, int64_t n) {
  if (begin == 0 && n >= x.dim(0)) return x;
  Shape s = x.shape();
  s[0] = n;
  Tensor out(x.dtype(), s);
  const size_t row = x.dim(0) ? x.nbytes() / size_t(x.dim(0)) : 0;
  std::memcpy(out.raw(), static_cast<const uint8_t*>(x.raw()) + size_t(begin) * row, out.nbytes());
  return out;
}

bool all_finite(const float* p, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(p[i])) return false;
  return true;
}

bool all_finite(const Tensor& t) { return t.dtype() != DType::kFloat32 || all_finite(t.data<float>(), t.numel()); }

// The first row of t (rows along dim 0) holding NaN / Inf, or -1.
int64_t first_nonfinite_row(const Tensor& t) {
  if (t.dtype() != DType::kFloat32 || t.rank() == 0 || t.dim(0) == 0) return all_finite(t) ? -1 : 0;
  const int64_t per_row = t.numel() / t.dim(0);
  for (int64_t r = 0; r < t.dim(0); ++r)
    if (!all_finite(t.data<float>() + r * per_row, per_row)) return r;
  return -1;
}

// The calibrated tensor (index into `out_index`) first holding NaN / Inf, or -1.
long first_nonfinite_tensor(const std::vector<Tensor>& y, const std::vector<size_t>& out_index) {
  for (size_t i = 0; i < out_index.size(); ++i)
    if (!all_finite(y[out_index[i]])) return long(i);
  return -1;
}

}  // namespace

std::map<std::string, Range> calibrate(const ir::Graph& g, const std::vector<std::string>& tensors,
                                       const std::string& method, const ObserverOptions& options,
                                       const CalibrationData& calib, int64_t* samples_used,
                                       std::vector<int64_t>* skipped) {
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
  train::Dataset data{rows(calib.data.x, 0, calib.samples), Tensor()};
  try {
    train::check_fits(data, sample, in.dtype, 0);
  } catch (const Error& e) {
    fail_input("calibration data does not fit the model: ", e.what());
  }
  std::vector<int64_t> index;  // row of `data` -> sample of calib.data
  std::vector<int64_t> dropped;
  for (int64_t r = 0; r < data.x.dim(0); ++r)
    if (!calib.skip_nonfinite || first_nonfinite_row(rows(data.x, r, 1)) < 0) index.push_back(r);
    else dropped.push_back(r);
  if (!dropped.empty()) {
    SHRINK_CHECK(!index.empty(), "calibration: all ", data.x.dim(0), " samples contain NaN or Inf");
    Shape s = data.x.shape();
    s[0] = int64_t(index.size());
    Tensor kept(data.x.dtype(), s);
    const size_t row = data.x.nbytes() / size_t(data.x.dim(0));
    for (size_t k = 0; k < index.size(); ++k)
      std::memcpy(static_cast<uint8_t*>(kept.raw()) + k * row,
                  static_cast<const uint8_t*>(data.x.raw()) + size_t(index[k]) * row, row);
    data.x = std::move(kept);
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
  auto observe = [&](const std::vector<Tensor>& y) {
    for (size_t i = 0; i < tensors.size(); ++i) {
      const Tensor& t = y[out_index[i]];
      SHRINK_ASSERT(t.dtype() == DType::kFloat32, "calibrated tensor '", tensors[i], "' is ", dtype_name(t.dtype()));
      observers[i]->observe(t.data<float>(), t.numel());
    }
  };
  train::Batch b;
  int64_t done = 0, seen = 0, used = 0;
  while (loader.next(b)) {
    const int64_t n = b.x.dim(0), first = index[size_t(seen)], last = index[size_t(seen + n - 1)];
    const int64_t bad_row = first_nonfinite_row(b.x);
    SHRINK_CHECK(bad_row < 0, "calibration batch ", done + 1, " (samples ", first, "..", last, "): sample ",
                 first + bad_row, " contains NaN or Inf (--skip-nonfinite leaves such samples out)");
    const std::vector<Tensor> y = session.run({b.x});
    const long bad = first_nonfinite_tensor(y, out_index);
    if (bad < 0) {
      observe(y);
      used += n;
    } else if (!calib.skip_nonfinite) {
      const Tensor& t = y[out_index[size_t(bad)]];
      const int64_t row = t.rank() > 0 && t.dim(0) == n ? first_nonfinite_row(t) : -1;
      fail_input("calibration batch ", done + 1, " (samples ", first, "..", last, "): tensor '", tensors[size_t(bad)],
                 "' has NaN or Inf values", row >= 0 ? " from sample " + std::to_string(index[size_t(seen + row)]) : "",
                 " (--skip-nonfinite leaves such samples out)");
    } else {
      for (int64_t r = 0; r < n; ++r) {
        const std::vector<Tensor> y1 = session.run({rows(b.x, r, 1)});
        if (first_nonfinite_tensor(y1, out_index) >= 0) {
          dropped.push_back(index[size_t(seen + r)]);
          continue;
        }
        observe(y1);
        ++used;
      }
    }
    seen += n;
    ++done;
    if (calib.progress) calib.progress(done, total);
  }
  SHRINK_CHECK(used > 0, "calibration: every sample leads to NaN or Inf in the model");
  std::map<std::string, Range> ranges;
  for (size_t i = 0; i < tensors.size(); ++i) ranges[tensors[i]] = observers[i]->range();
  if (samples_used) *samples_used = used;
  std::sort(dropped.begin(), dropped.end());
  if (skipped) *skipped = std::move(dropped);
  return ranges;
}

}  // namespace shrink::compress
