// A Session compiles a Graph once and runs it many times.
//   runtime::Session s(graph, {.threads = 2});
//   std::vector<Tensor> y = s.run({x});
// Compilation applies the runtime passes (constant folding, BatchNorm folding, fusion), assigns
// value slots, and plans buffer reuse; kernels (and their oneDNN primitives) are chosen on the first
// run for each set of input shapes and kept. Runs are deterministic for a fixed thread count.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "runtime/kernel.h"

namespace shrink::runtime {

struct SessionOptions {
  int threads = 1;
  bool optimize = true;        // graph passes before planning
  bool reference_only = false; // reference kernels everywhere (the oracle)
  bool profile = false;         // time every step (see Session::profile())
  std::vector<std::string> skip_backends;  // kernel backends not to use ("blas", "onednn", "view")
};

// Accumulated time of one node over the runs of a profiled session.
struct StepProfile {
  std::string node, op_type, kernel;
  double total_ms = 0;
  int64_t runs = 0;
};

class Session {
 public:
  Session(ir::Graph graph, SessionOptions options = {});
  ~Session();
  const std::vector<ir::ValueInfo>& inputs() const { return graph_.inputs; }
  const std::vector<ir::ValueInfo>& outputs() const { return graph_.outputs; }
  const ir::Graph& graph() const { return graph_; }
  // Inputs in graph-input order; returns outputs in graph-output order.
  std::vector<Tensor> run(const std::vector<Tensor>& inputs);
  // Kernel chosen for each node (after the first run), for `--verbose` and tests.
  std::vector<std::pair<std::string, std::string>> kernel_names() const;
  // Per-node timings (profile option); empty otherwise.
  std::vector<StepProfile> profile() const;

 private:
  struct Step;
  void plan();
  ir::Graph graph_;
  SessionOptions options_;
  std::vector<Step> steps_;
  std::vector<Tensor> constants_;  // slot -> constant value (undefined for non-constants)
  std::vector<int> input_slots_, output_slots_;
  size_t num_slots_ = 0;
  std::multimap<size_t, std::shared_ptr<Buffer>> pool_;  // free buffers by size
};

// Checks that `t` fits graph input `info` (dtype, rank, fixed dims); fails naming the input.
void check_input(const ir::ValueInfo& info, const Tensor& t);

}  // namespace shrink::runtime
