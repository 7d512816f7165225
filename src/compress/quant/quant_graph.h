// Graph plumbing shared by the quantizers: binding and checking the graph before and after,
// transposing Gemm weights, and dropping inference-mode Dropout (an identity that would otherwise
// sit between a quantized op and its QuantizeLinear).
#pragma once
#include <vector>

#include "core/tensor.h"
#include "ir/graph.h"

namespace shrink::compress {

// Binds every node (typed attributes) and verifies the graph; readers of Identity(initializer)
// read the initializer directly (shared weights of exported models).
void prepare_graph(ir::Graph& g);
// Drops the nodes marked `replaced`, restores topological order, removes dead code, rebinds
// and verifies.
void finish_graph(ir::Graph& g, const std::vector<bool>& replaced);
// [R, C] -> [C, R] of any 1-byte or 4-byte dtype.
Tensor transpose_2d(const Tensor& t);
// Readers of Dropout outputs (inference mode: no training_mode input, or a constant false) read its
// input instead; the Dropout nodes then go (unless their output is a graph output).
void bypass_inference_dropout(ir::Graph& g);
// Rewrites a static QDQ graph into the QOperator form (QLinearConv / QLinearMatMul, int8 MaxPool and
// reshapes; qoperator_form.cc); returns how many QLinear nodes it made.
int64_t to_qoperator_form(ir::Graph& g);

}  // namespace shrink::compress
