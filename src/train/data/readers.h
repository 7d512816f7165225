// One reader per dataset format, each from bytes already in memory (so the fuzzer and tests can
// drive them directly); load_dataset (dataset.cc) picks one and reads the file(s).
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "train/data/dataset.h"

namespace shrink::train {

// .npz (zip of x.npy and optional y.npy, stored or deflated).
Dataset parse_npz(std::string_view bytes, const std::string& what, uint64_t max_bytes, bool allow_nonfinite = false);
std::string serialize_npz(const Dataset& d, bool compress);

// MNIST IDX: images idx3 uint8 -> float32 [N,1,H,W] in [0,1]; labels idx1 uint8 -> int64 [N].
// Either may be gzip-compressed (detected by magic).
Tensor parse_idx_images(std::string_view bytes, const std::string& what, uint64_t max_bytes);
Tensor parse_idx_labels(std::string_view bytes, const std::string& what, uint64_t max_bytes);
// The labels file beside an images file by MNIST's naming (train-images-idx3-ubyte[.gz] ->
// train-labels-idx1-ubyte[.gz]); empty when none exists.
std::string idx_labels_beside(const std::string& images_path);

// CIFAR-10 binary batches: 3073-byte records (label, then 3x32x32 planes).
Dataset parse_cifar10(std::string_view bytes, const std::string& what);
// Several batch files concatenated in the given order.
Dataset load_cifar10(const std::vector<std::string>& files, uint64_t max_bytes);
// data_batch_*.bin in a folder, sorted by name.
std::vector<std::string> cifar10_batches_in(const std::string& dir);

// CSV of numbers; see docs/datasets.md for the label column rule.
Dataset parse_csv(std::string_view text, const std::string& what, const LoadOptions& options);

// gzip -> bytes, failing past max_bytes of output (gzip bombs) or on corrupt data.
bool is_gzip(std::string_view bytes);
std::string gunzip(std::string_view bytes, const std::string& what, uint64_t max_bytes);

}  // namespace shrink::train
