// DataLoader and check_fits. Each sample's augmentation draws from its own Rng seeded by
// (seed, epoch, dataset index), so batches are identical for any thread count and batch size.
#include "train/data/loader.h"

#include <cstring>
#include <numeric>

#include "core/rng.h"
#include "core/threads.h"

namespace shrink::train {
namespace {

uint64_t mix(uint64_t a, uint64_t b) { return Rng(a ^ (b * 0xd6e8feb86659fd93ull + 0x632be59bd9b4e019ull)).next_u64(); }

}  // namespace

DataLoader::DataLoader(const Dataset& data, LoaderOptions options) : data_(data), o_(std::move(options)) {
  SHRINK_CHECK(o_.batch > 0, "batch size must be positive, not ", o_.batch);
  SHRINK_CHECK(data_.x.defined() && data_.x.rank() >= 1, "data loader: dataset has no samples tensor");
  bool image = data_.x.dtype() == DType::kFloat32 && data_.x.rank() == 4;
  SHRINK_CHECK(o_.mean.size() == o_.std.size(), "normalization has ", o_.mean.size(), " means but ", o_.std.size(),
               " standard deviations");
  if (!o_.mean.empty()) {
    SHRINK_CHECK(data_.x.dtype() == DType::kFloat32 && data_.x.rank() >= 2, "normalization needs float samples",
                 " with a channel dimension, not ", dtype_name(data_.x.dtype()), " ", shape_str(data_.sample_shape()));
    SHRINK_CHECK(o_.mean.size() == 1 || int64_t(o_.mean.size()) == data_.x.dim(1), "normalization has ",
                 o_.mean.size(), " values for ", data_.x.dim(1), " channels");
    for (float s : o_.std) SHRINK_CHECK(s > 0, "normalization std must be positive, not ", s);
  }
  SHRINK_CHECK(o_.crop_padding >= 0 && o_.crop_padding <= 64, "crop padding ", o_.crop_padding,
               " is out of range [0, 64]");
  SHRINK_CHECK(image || (o_.crop_padding == 0 && !o_.hflip), "crop and flip need float NCHW images, not ",
               dtype_name(data_.x.dtype()), " ", shape_str(data_.sample_shape()));
  order_.resize(size_t(data_.size()));
}

int64_t DataLoader::num_batches() const {
  int64_t n = data_.size();
  return o_.drop_last ? n / o_.batch : (n + o_.batch - 1) / o_.batch;
}

void DataLoader::start_epoch(int64_t epoch) {
  epoch_ = epoch;
  cursor_ = 0;
  std::iota(order_.begin(), order_.end(), 0);
  if (!o_.shuffle) return;
  Rng r(mix(o_.seed, uint64_t(epoch)));
  for (int64_t i = int64_t(order_.size()) - 1; i > 0; --i) std::swap(order_[size_t(i)], order_[r.below(uint64_t(i) + 1)]);
}

bool DataLoader::next(Batch& b) {
  if (epoch_ < 0) start_epoch(0);
  int64_t n = data_.size(), left = n - cursor_;
  if (left <= 0 || (o_.drop_last && left < o_.batch)) return false;
  int64_t count = std::min(left, o_.batch);
  fill(b, cursor_, count);
  cursor_ += count;
  return true;
}

void DataLoader::fill(Batch& b, int64_t begin, int64_t count) const {
  Shape xs = data_.x.shape();
  xs[0] = count;
  b.x = Tensor(data_.x.dtype(), xs);
  b.y = data_.y.defined() ? Tensor(DType::kInt64, {count}) : Tensor();
  b.indices.assign(order_.begin() + begin, order_.begin() + begin + count);
  size_t row = data_.x.nbytes() / size_t(data_.size());
  for (int64_t i = 0; i < count; ++i) {
    int64_t src = b.indices[size_t(i)];
    std::memcpy(static_cast<char*>(b.x.raw()) + size_t(i) * row, static_cast<const char*>(data_.x.raw()) + size_t(src) * row, row);
    if (b.y.defined()) b.y.data<int64_t>()[i] = data_.y.data<int64_t>()[src];
  }
  if (b.x.dtype() != DType::kFloat32) return;
  bool augment = o_.crop_padding > 0 || o_.hflip;
  int64_t channels = b.x.rank() >= 2 ? b.x.dim(1) : 1;
  int64_t plane = channels ? int64_t(row / sizeof(float)) / channels : 0;
  parallel_for(count, 8, [&](int64_t lo, int64_t hi) {
    std::vector<float> tmp;
    for (int64_t i = lo; i < hi; ++i) {
      float* s = b.x.data<float>() + i * int64_t(row / sizeof(float));
      if (augment) {
        int64_t h = b.x.dim(2), w = b.x.dim(3), p = o_.crop_padding;
        Rng r(mix(mix(o_.seed, uint64_t(epoch_)), uint64_t(b.indices[size_t(i)]) + 1));
        int64_t dy = p ? int64_t(r.below(uint64_t(2 * p + 1))) - p : 0;
        int64_t dx = p ? int64_t(r.below(uint64_t(2 * p + 1))) - p : 0;
        bool flip = o_.hflip && (r.next_u64() >> 63);
        tmp.assign(s, s + channels * h * w);
        // Output pixel (y, x) reads padded-image pixel (y + dy, x' + dx), x' mirrored when flipping.
        for (int64_t c = 0; c < channels; ++c)
          for (int64_t y = 0; y < h; ++y)
            for (int64_t x = 0; x < w; ++x) {
              int64_t sy = y + dy, sx = (flip ? w - 1 - x : x) + dx;
              s[(c * h + y) * w + x] = sy >= 0 && sy < h && sx >= 0 && sx < w ? tmp[size_t((c * h + sy) * w + sx)] : 0.f;
            }
      }
      if (!o_.mean.empty())
        for (int64_t c = 0; c < channels; ++c) {
          size_t k = o_.mean.size() == 1 ? 0 : size_t(c);
          float m = o_.mean[k], inv = 1.f / o_.std[k];
          for (int64_t j = 0; j < plane; ++j) s[c * plane + j] = (s[c * plane + j] - m) * inv;
        }
    }
  });
}

void check_fits(const Dataset& data, const Shape& want, DType dtype, int64_t num_classes) {
  Shape have = data.sample_shape();
  bool shape_ok = have.size() == want.size();
  for (size_t i = 0; shape_ok && i < want.size(); ++i) shape_ok = want[i] < 0 || want[i] == have[i];
  SHRINK_CHECK(shape_ok, "dataset samples are ", shape_str(have), " but the model input expects ", shape_str(want),
               " per sample");
  SHRINK_CHECK(data.x.dtype() == dtype, "dataset samples are ", dtype_name(data.x.dtype()),
               " but the model input is ", dtype_name(dtype));
  if (num_classes <= 0 || !data.labelled()) return;
  const int64_t* y = data.y.data<int64_t>();
  for (int64_t i = 0; i < data.y.numel(); ++i)
    SHRINK_CHECK(y[i] >= 0 && y[i] < num_classes, "label ", y[i], " of sample ", i, " is out of range for a model with ",
                 num_classes, " classes");
}

}  // namespace shrink::train
