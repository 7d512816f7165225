// libFuzzer target: the dataset parsers. The first byte picks the reader (npz, IDX images,
// IDX labels, CIFAR-10, CSV); the rest is the file's bytes. Decompression is capped at 64 MiB.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "train/data/readers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  constexpr uint64_t kCap = uint64_t(64) << 20;
  try {
    switch (data[0] % 5) {
      case 0: (void)shrink::train::parse_npz(bytes, "fuzz", kCap); break;
      case 1: (void)shrink::train::parse_idx_images(bytes, "fuzz", kCap); break;
      case 2: (void)shrink::train::parse_idx_labels(bytes, "fuzz", kCap); break;
      case 3: (void)shrink::train::parse_cifar10(bytes, "fuzz"); break;
      default: (void)shrink::train::parse_csv(bytes, "fuzz", {}); break;
    }
  } catch (const shrink::Error&) {
  }
  return 0;
}
