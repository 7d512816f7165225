// Dataset helpers, format detection, validation shared by all readers, and load_dataset's
// dispatch to the reader of each format.
#include "train/data/dataset.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/file_io.h"
#include "core/npy.h"
#include "train/data/readers.h"

namespace shrink::train {
namespace fs = std::filesystem;
namespace {

struct FormatRow {
  DatasetFormat format;
  const char* name;
};
constexpr FormatRow kFormats[] = {
    {DatasetFormat::kNpy, "npy"}, {DatasetFormat::kNpz, "npz"}, {DatasetFormat::kIdx, "idx"},
    {DatasetFormat::kCifar10, "cifar10"}, {DatasetFormat::kCsv, "csv"},
};

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// First bytes of a file (empty when unreadable).
std::string head_of(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return {};
  char buf[8];
  size_t n = std::fread(buf, 1, sizeof buf, f);
  std::fclose(f);
  return std::string(buf, n);
}

Tensor to_dtype(const Tensor& t, DType to) {
  if (t.dtype() == to) return t;
  Tensor out(to, t.shape());
  visit_dtype(t.dtype(), [&](auto v) {
    using T = decltype(v);
    const T* src = t.data<T>();
    if (to == DType::kFloat32)
      for (int64_t i = 0; i < t.numel(); ++i) out.data<float>()[i] = float(compute_t<T>(src[i]));
    else
      for (int64_t i = 0; i < t.numel(); ++i) out.data<int64_t>()[i] = int64_t(src[i]);
  });
  return out;
}

}  // namespace

int64_t Dataset::num_classes() const {
  if (!y.defined() || y.numel() == 0) return 0;
  const int64_t* p = y.data<int64_t>();
  return *std::max_element(p, p + y.numel()) + 1;
}

Shape Dataset::sample_shape() const {
  if (!x.defined() || x.rank() == 0) return {};
  return Shape(x.shape().begin() + 1, x.shape().end());
}

std::string format_name(DatasetFormat f) {
  for (const auto& r : kFormats)
    if (r.format == f) return r.name;
  return "auto";
}

DatasetFormat parse_format(const std::string& name) {
  for (const auto& r : kFormats)
    if (name == r.name) return r.format;
  if (name == "auto") return DatasetFormat::kAuto;
  fail_input("unknown dataset format '", name, "' (npy, npz, idx, cifar10, csv)");
}

DatasetFormat detect_format(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    SHRINK_CHECK(!cifar10_batches_in(path).empty(), path, ": folder holds no CIFAR-10 data_batch_*.bin");
    return DatasetFormat::kCifar10;
  }
  SHRINK_CHECK(fs::exists(path, ec), path, ": no such file");
  std::string name = lower(fs::path(path).filename().string());
  if (ends_with(name, ".npy")) return DatasetFormat::kNpy;
  if (ends_with(name, ".npz")) return DatasetFormat::kNpz;
  if (ends_with(name, "-ubyte") || ends_with(name, "-ubyte.gz") || ends_with(name, ".idx") ||
      ends_with(name, ".idx.gz"))
    return DatasetFormat::kIdx;
  if (ends_with(name, ".bin")) return DatasetFormat::kCifar10;
  if (ends_with(name, ".csv") || ends_with(name, ".csv.txt")) return DatasetFormat::kCsv;
  std::string head = head_of(path);
  if (head.size() >= 6 && head.compare(0, 6, "\x93NUMPY") == 0) return DatasetFormat::kNpy;
  if (head.size() >= 4 && head.compare(0, 4, "PK\x03\x04") == 0) return DatasetFormat::kNpz;
  if (head.size() >= 4 && head[0] == 0 && head[1] == 0 && head[2] == 0x08) return DatasetFormat::kIdx;
  if (is_gzip(head)) return DatasetFormat::kIdx;
  fail_input(path, ": cannot tell the dataset format (use a .npy, .npz, -ubyte[.gz], .bin or .csv name)");
}

Dataset validate_dataset(Tensor x, Tensor y, const std::string& what, bool allow_nonfinite) {
  SHRINK_CHECK(x.defined() && x.rank() >= 1, what, ": x must have a leading sample dimension");
  DType xd = x.dtype();
  SHRINK_CHECK(xd != DType::kBool && traits(xd).supported, what, ": x has unsupported dtype ", dtype_name(xd));
  x = to_dtype(x, is_float(xd) ? DType::kFloat32 : DType::kInt64);
  if (x.dtype() == DType::kFloat32) {
    const float* p = allow_nonfinite ? nullptr : x.data<float>();
    for (int64_t i = 0; p && i < x.numel(); ++i)
      SHRINK_CHECK(std::isfinite(p[i]), what, ": x holds a non-finite value at element ", i);
  } else {
    const int64_t* p = x.data<int64_t>();
    for (int64_t i = 0; i < x.numel(); ++i)
      SHRINK_CHECK(p[i] >= 0, what, ": token x holds a negative id ", p[i], " at element ", i);
  }
  if (y.defined()) {
    SHRINK_CHECK(is_integer(y.dtype()) && traits(y.dtype()).supported, what, ": labels y must be integers, not ",
                 dtype_name(y.dtype()));
    SHRINK_CHECK(y.rank() == 1, what, ": labels y must be 1-D, got shape ", shape_str(y.shape()));
    SHRINK_CHECK(y.dim(0) == x.dim(0), what, ": ", y.dim(0), " labels for ", x.dim(0), " samples");
    y = to_dtype(y, DType::kInt64);
    const int64_t* p = y.data<int64_t>();
    for (int64_t i = 0; i < y.numel(); ++i)
      SHRINK_CHECK(p[i] >= 0 && p[i] < (int64_t(1) << 31), what, ": label ", p[i], " of sample ", i,
                   " is out of range");
  }
  return {std::move(x), std::move(y)};
}

namespace {

Dataset read_dataset(const std::string& path, const LoadOptions& o) {
  DatasetFormat f = o.format == DatasetFormat::kAuto ? detect_format(path) : o.format;
  switch (f) {
    case DatasetFormat::kNpy:
      return validate_dataset(parse_npy(read_file(path, o.max_bytes), path), Tensor(), path, o.allow_nonfinite);
    case DatasetFormat::kNpz:
      return parse_npz(read_file(path, o.max_bytes), path, o.max_bytes, o.allow_nonfinite);
    case DatasetFormat::kIdx: {
      Tensor x = parse_idx_images(read_file(path, o.max_bytes), path, o.max_bytes);
      std::string labels = o.labels_path.empty() ? idx_labels_beside(path) : o.labels_path;
      Tensor y = labels.empty() ? Tensor() : parse_idx_labels(read_file(labels, o.max_bytes), labels, o.max_bytes);
      SHRINK_CHECK(!y.defined() || y.dim(0) == x.dim(0), labels, ": ", y.dim(0), " labels for ", x.dim(0),
                   " images in ", path);
      return {std::move(x), std::move(y)};
    }
    case DatasetFormat::kCifar10: {
      std::error_code ec;
      if (fs::is_directory(path, ec)) return load_cifar10(cifar10_batches_in(path), o.max_bytes);
      return load_cifar10({path}, o.max_bytes);
    }
    case DatasetFormat::kCsv:
      return parse_csv(read_file(path, o.max_bytes), path, o);
    case DatasetFormat::kAuto:
      break;
  }
  fail_internal("unhandled dataset format");
}

}  // namespace

Dataset load_dataset(const std::string& path, const LoadOptions& o) {
  try {
    return read_dataset(path, o);
  } catch (const Error& e) {
    // Checks deep in core (shapes, tensor sizes) do not know the file: name it here.
    std::string msg = e.what();
    if (e.kind() != ErrorKind::kBadInput || msg.find(path) != std::string::npos) throw;
    fail_input(path, ": ", msg);
  }
}

void save_npz(const std::string& path, const Dataset& d, bool compress) {
  write_file_atomic(path, serialize_npz(d, compress));
}

}  // namespace shrink::train
