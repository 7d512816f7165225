// Datasets for training and calibration: a Dataset is x [N, ...] (float32 images NCHW, or int64
// token sequences) and optional int64 labels y [N]. load_dataset reads any supported format:
//   Dataset d = train::load_dataset("mnist/train-images-idx3-ubyte.gz");   // x [60000,1,28,28]
//   train::save_npz("out/train.npz", d);                                   // numpy can np.load it
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace shrink::train {

struct Dataset {
  Tensor x;  // [N, ...] float32 or int64
  Tensor y;  // int64 [N], or undefined when unlabelled

  int64_t size() const { return x.defined() && x.rank() > 0 ? x.dim(0) : 0; }
  bool labelled() const { return y.defined(); }
  // Largest label + 1 (0 when unlabelled or empty).
  int64_t num_classes() const;
  // Shape of one sample: x's shape without the leading N.
  Shape sample_shape() const;
};

enum class DatasetFormat { kAuto, kNpy, kNpz, kIdx, kCifar10, kCsv };

struct LoadOptions {
  DatasetFormat format = DatasetFormat::kAuto;  // kAuto: from the extension, then the magic bytes
  std::string labels_path;   // IDX: the labels file when not beside the images by the usual name
  std::string label_column;  // CSV: "" = a `label`/`y` header column, else the last; "none" = unlabelled
  Shape input_shape;         // CSV: reshape each row's features to this sample shape
  uint64_t max_bytes = uint64_t(1) << 32;  // bound on any file or decompressed member
  bool allow_nonfinite = false;  // .npy / .npz: keep NaN / Inf in x (calibration names or skips them)
};

// Name of a format ("npy", "npz", "idx", "cifar10", "csv"); parse_format is its inverse.
std::string format_name(DatasetFormat f);
DatasetFormat parse_format(const std::string& name);
// The format load_dataset would use for `path` (never kAuto); fails when it cannot tell.
DatasetFormat detect_format(const std::string& path);

// Reads and validates a dataset; fails (bad input) with one line naming the file and the problem.
Dataset load_dataset(const std::string& path, const LoadOptions& options = {});
// Writes x.npy (and y.npy when labelled) into a .npz, atomically; numpy's np.load reads it.
void save_npz(const std::string& path, const Dataset& d, bool compress = false);

// Checks x's dtype (float32/int64) and rank, y's dtype, length and non-negative labels;
// converts other float x to float32 and other integer x / y to int64. `what` names the source.
Dataset validate_dataset(Tensor x, Tensor y, const std::string& what, bool allow_nonfinite = false);

}  // namespace shrink::train
