// CIFAR-10 binary batches: each record is 1 label byte (0-9) and 3072 pixel bytes (R, G, B planes
// of 32x32), giving float32 [N,3,32,32] in [0,1] and int64 labels. Several files concatenate.
#include <algorithm>
#include <cstring>
#include <filesystem>

#include "core/file_io.h"
#include "train/data/readers.h"

namespace shrink::train {
namespace {

constexpr size_t kPixels = 3 * 32 * 32;
constexpr size_t kRecord = 1 + kPixels;

// Checks a batch's size and labels; returns its record count.
int64_t check_batch(std::string_view b, const std::string& what) {
  SHRINK_CHECK(!b.empty(), what, ": empty CIFAR-10 batch");
  SHRINK_CHECK(b.size() % kRecord == 0, what, ": ", b.size(), " bytes is not a whole number of ", kRecord,
               "-byte CIFAR-10 records");
  int64_t n = int64_t(b.size() / kRecord);
  for (int64_t i = 0; i < n; ++i)
    SHRINK_CHECK(uint8_t(b[size_t(i) * kRecord]) < 10, what, ": record ", i, " has label ",
                 int(uint8_t(b[size_t(i) * kRecord])), ", CIFAR-10 labels are 0-9");
  return n;
}

void decode(std::string_view b, float* x, int64_t* y) {
  size_t n = b.size() / kRecord;
  for (size_t i = 0; i < n; ++i) {
    const auto* r = reinterpret_cast<const uint8_t*>(b.data() + i * kRecord);
    y[i] = r[0];
    for (size_t j = 0; j < kPixels; ++j) x[i * kPixels + j] = float(r[1 + j]) * (1.f / 255.f);
  }
}

}  // namespace

Dataset parse_cifar10(std::string_view bytes, const std::string& what) {
  int64_t n = check_batch(bytes, what);
  Dataset d{Tensor(DType::kFloat32, {n, 3, 32, 32}), Tensor(DType::kInt64, {n})};
  decode(bytes, d.x.data<float>(), d.y.data<int64_t>());
  return d;
}

Dataset load_cifar10(const std::vector<std::string>& files, uint64_t max_bytes) {
  SHRINK_CHECK(!files.empty(), "no CIFAR-10 batch files given");
  std::vector<std::string> bytes;
  int64_t total = 0;
  for (const auto& f : files) {
    bytes.push_back(read_file(f, max_bytes));
    total += check_batch(bytes.back(), f);
    SHRINK_CHECK(uint64_t(total) * kPixels * 4 <= kMaxTensorBytes, f, ": CIFAR-10 batches exceed ",
                 kMaxTensorBytes, " bytes together");
  }
  Dataset d{Tensor(DType::kFloat32, {total, 3, 32, 32}), Tensor(DType::kInt64, {total})};
  int64_t at = 0;
  for (const auto& b : bytes) {
    decode(b, d.x.data<float>() + at * int64_t(kPixels), d.y.data<int64_t>() + at);
    at += int64_t(b.size() / kRecord);
  }
  return d;
}

std::vector<std::string> cifar10_batches_in(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (name.starts_with("data_batch_") && name.ends_with(".bin") && e.is_regular_file(ec))
      out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace shrink::train
