// MNIST IDX files: big-endian header (0, 0, type, rank, then rank uint32 dims) and raw data.
// Images (idx3 ubyte) become float32 [N,1,H,W] in [0,1], labels (idx1 ubyte) int64 [N].
#include <filesystem>

#include "train/data/readers.h"

namespace shrink::train {
namespace {

struct Idx {
  Shape dims;
  std::string_view data;
};

// Validates the header against the data length; the caller owns `storage`.
Idx parse_idx(std::string_view b, const std::string& what, int want_rank) {
  SHRINK_CHECK(b.size() >= 4 && b[0] == 0 && b[1] == 0, what, ": not an IDX file (bad magic)");
  SHRINK_CHECK(uint8_t(b[2]) == 0x08, what, ": IDX element type 0x", std::hex, int(uint8_t(b[2])),
               " is not supported (only unsigned bytes)");
  int rank = uint8_t(b[3]);
  SHRINK_CHECK(rank == want_rank, what, ": IDX rank is ", rank, ", expected ", want_rank,
               want_rank == 3 ? " (an idx3 images file)" : " (an idx1 labels file)");
  SHRINK_CHECK(b.size() >= 4 + 4 * size_t(rank), what, ": truncated IDX header");
  Idx r;
  for (int i = 0; i < rank; ++i) {
    const auto* p = reinterpret_cast<const uint8_t*>(b.data() + 4 + 4 * i);
    r.dims.push_back((int64_t(p[0]) << 24) | (int64_t(p[1]) << 16) | (int64_t(p[2]) << 8) | p[3]);
  }
  int64_t n = checked_numel(r.dims, "IDX dims");
  size_t have = b.size() - 4 - 4 * size_t(rank);
  SHRINK_CHECK(uint64_t(n) <= kMaxTensorBytes / 4, what, ": IDX dims ", shape_str(r.dims), " are too large");
  SHRINK_CHECK(have == size_t(n), what, ": IDX data is ", have, " bytes, header ", shape_str(r.dims), " says ", n);
  r.data = b.substr(4 + 4 * size_t(rank));
  return r;
}

std::string maybe_gunzip(std::string_view b, const std::string& what, uint64_t max_bytes) {
  return is_gzip(b) ? gunzip(b, what, max_bytes) : std::string(b);
}

}  // namespace

Tensor parse_idx_images(std::string_view bytes, const std::string& what, uint64_t max_bytes) {
  std::string raw = maybe_gunzip(bytes, what, max_bytes);
  Idx idx = parse_idx(raw, what, 3);
  SHRINK_CHECK(idx.dims[0] > 0 && idx.dims[1] > 0 && idx.dims[2] > 0, what, ": IDX images have an empty dim ",
               shape_str(idx.dims));
  Tensor x(DType::kFloat32, {idx.dims[0], 1, idx.dims[1], idx.dims[2]});
  float* p = x.data<float>();
  for (size_t i = 0; i < idx.data.size(); ++i) p[i] = float(uint8_t(idx.data[i])) * (1.f / 255.f);
  return x;
}

Tensor parse_idx_labels(std::string_view bytes, const std::string& what, uint64_t max_bytes) {
  std::string raw = maybe_gunzip(bytes, what, max_bytes);
  Idx idx = parse_idx(raw, what, 1);
  Tensor y(DType::kInt64, {idx.dims[0]});
  int64_t* p = y.data<int64_t>();
  for (size_t i = 0; i < idx.data.size(); ++i) p[i] = uint8_t(idx.data[i]);
  return y;
}

std::string idx_labels_beside(const std::string& images_path) {
  namespace fs = std::filesystem;
  fs::path p(images_path);
  std::string name = p.filename().string();
  size_t at = name.find("images");
  if (at == std::string::npos) return {};
  name.replace(at, 6, "labels");
  size_t i3 = name.find("idx3");
  if (i3 != std::string::npos) name.replace(i3, 4, "idx1");
  std::string base = name.size() > 3 && name.ends_with(".gz") ? name.substr(0, name.size() - 3) : name;
  std::error_code ec;
  for (const std::string& cand : {name, base, base + ".gz"})
    if (fs::is_regular_file(p.parent_path() / cand, ec)) return (p.parent_path() / cand).string();
  return {};
}

}  // namespace shrink::train
