// libFuzzer target: ONNX model bytes -> import (parse, validate, bind) -> export. Any input must
// end in a model or a shrink::Error; never a crash, hang, or unbounded allocation.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "onnx/model_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto g = shrink::onnx_io::import_model(std::string_view(reinterpret_cast<const char*>(data), size), {}, "fuzz");
    (void)shrink::onnx_io::export_model(g);
  } catch (const shrink::Error&) {
  }
  return 0;
}
