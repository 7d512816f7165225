// Embedding tables in int8 (static and dynamic modes): a float constant read only as Gather's data
// (token embeddings), and a float constant of rank >= 2 added to such a Gather's output (a learned
// position embedding), are stored as symmetric int8 with one scale (8 bits: no integer kernel reads
// them, so reduce_range does not apply) behind a DequantizeLinear, as ONNX Runtime's quantizer does:
//   Gather(DequantizeLinear(table_q, s, 0), ids) -> Add(., DequantizeLinear(position_q, s', 0))
// ONNX Runtime runs it as is; shrink's runtime folds each constant DequantizeLinear into a float
// table once, when a session is created (passes/fold_constants.cc), so a run still gathers floats.
#pragma once
#include <set>
#include <string>

#include "compress/quant/quant_params.h"
#include "compress/quant/quantize.h"
#include "ir/graph.h"

namespace shrink::compress {

// Rewrites the embedding tables of `g` (Gather nodes not in `exclude`), counting them in
// r.quantized ("Gather", "Add" for the position table) and in r's weight bytes. A table read by
// several Gathers is quantized once. Leaves the replaced float tables for finish_graph to drop.
void quantize_embeddings(ir::Graph& g, const std::set<std::string>& exclude, WeightScale method, QuantReport& r);

}  // namespace shrink::compress
