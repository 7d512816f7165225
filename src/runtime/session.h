// A Session compiles a Graph once and runs it many times.
//   runtime::Session s(graph, {.threads = 2});
//   std::vector<Tensor> y = s.run({x});
// Compilation applies the runtime passes (constant folding, BatchNorm folding, fusion), assigns
// value slots, and plans buffer reuse; kernels (and their oneDNN primitives) are chosen on the first
// run for each set of input shapes and kept. A graph with Shape / Size nodes (what PyTorch exports)
// is also specialized to each input signature (passes::specialize_shapes: its shape arithmetic
// folded to constants) and that graph runs in a Session of its own. Runs are deterministic for a
// fixed thread count.
#pragma once
#include <map>
#include <set>
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
  // The graph the last run executed (its shape-specialized form, if it had one); before any run, the
  // optimized graph. Valid until the next run (a specialized graph may then be dropped).
  const ir::Graph& graph() const { return active_ ? active_->graph() : graph_; }
  // Inputs in graph-input order; returns outputs in graph-output order.
  std::vector<Tensor> run(const std::vector<Tensor>& inputs);
  // Kernel chosen for each node (after the first run), for `--verbose` and tests.
  std::vector<std::pair<std::string, std::string>> kernel_names() const;
  // Per-node timings (profile option); empty otherwise.
  std::vector<StepProfile> profile() const;

 private:
  struct Step;
  struct Specialized;
  void plan();
  std::vector<Tensor> run_steps(const std::vector<Tensor>& inputs);
  // The session of the specialized graph for these inputs, made on first use; null if none.
  Session* specialized_for(const std::vector<Tensor>& inputs);
  ir::Graph graph_;
  SessionOptions options_;
  std::vector<Step> steps_;
  std::vector<Tensor> constants_;  // slot -> constant value (undefined for non-constants)
  std::vector<int> input_slots_, output_slots_;
  size_t num_slots_ = 0;
  std::multimap<size_t, std::shared_ptr<Buffer>> pool_;  // free buffers by size
  std::set<const Buffer*> constant_buffers_;             // storage of the constants (outputs sharing it are copied)
  bool specialize_ = false;                 // optimize, not reference_only, and Shape / Size nodes present
  std::vector<Specialized> specialized_;    // by input signature, most recent first
  Session* active_ = nullptr;               // the specialized session of the last run, if any
};

// Checks that `t` fits graph input `info` (dtype, rank, fixed dims); fails naming the input.
void check_input(const ir::ValueInfo& info, const Tensor& t);

}  // namespace shrink::runtime
