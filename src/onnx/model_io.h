// Loading and saving ONNX models as shrink Graphs. Import validates everything a later stage
// relies on (structure, ops, attributes, opset, initializer data) and fails with one message that
// names the node or tensor; export writes standard ONNX that round-trips bit for bit.
//   ir::Graph g = onnx_io::load_model("model.onnx");   onnx_io::save_model(g, "out.onnx");
#pragma once
#include <string>
#include <string_view>

#include "ir/graph.h"

namespace shrink::onnx_io {

// Opsets of the default domain shrink accepts.
inline constexpr int64_t kMinOpset = 10;
inline constexpr int64_t kMaxOpset = 27;

struct ImportOptions {
  std::string base_dir;          // where external data may live; empty: refused
  bool allow_nonfinite_weights = false;
};

ir::Graph import_model(std::string_view bytes, const ImportOptions& options, const std::string& what = "model");
ir::Graph load_model(const std::string& path);

struct ExportOptions {
  // Initializers go to an external data file when their total exceeds this (protobuf's 2 GiB).
  uint64_t external_threshold_bytes = (uint64_t(1) << 31) - (uint64_t(1) << 20);
};

// Serializes to ModelProto bytes with all initializers inline (fails if too large).
std::string export_model(const ir::Graph& g);
// Writes atomically; large weights go to "<file name>.data" beside it.
void save_model(const ir::Graph& g, const std::string& path, const ExportOptions& options = {});

}  // namespace shrink::onnx_io
