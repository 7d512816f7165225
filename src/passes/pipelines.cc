// The fixed pass orders for export and for the runtime.
#include "passes/passes.h"

namespace shrink::passes {

ir::Graph optimize_for_export(ir::Graph g) {
  g = fold_constants(std::move(g));
  g = fold_batchnorm(std::move(g));
  return eliminate_dead_code(std::move(g));
}

ir::Graph optimize_for_runtime(ir::Graph g) {
  // The int8 fusions come first: constant folding would turn the weights' DequantizeLinear into floats.
  g = fuse_matmul_integer(fuse_qoperators(fuse_qadd(fuse_qdq(std::move(g)))));
  return fuse_matmul(fuse_conv(fuse_gelu(optimize_for_export(std::move(g)))));
}

}  // namespace shrink::passes
