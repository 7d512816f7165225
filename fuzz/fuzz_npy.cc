// libFuzzer target: .npy bytes -> Tensor.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "core/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    (void)shrink::parse_npy(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
  } catch (const shrink::Error&) {
  }
  return 0;
}
