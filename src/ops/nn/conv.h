// Typed attributes of Conv and ConvTranspose, and the geometry (kernel, pads, output size) they
// resolve to for a given input shape. The reference kernels and the oneDNN kernels both start
// from resolve_conv / resolve_conv_transpose so that they agree on padding rules.
#pragma once
#include <string>
#include <vector>

#include "ops/attr_reader.h"
#include "ops/op.h"

namespace shrink::ops {

enum class AutoPad { kNotSet, kSameUpper, kSameLower, kValid };

struct ConvAttrs : ir::OpAttrs {
  std::vector<int64_t> kernel_shape;  // empty: taken from W
  std::vector<int64_t> strides;       // empty: all 1
  std::vector<int64_t> pads;          // begin..., end...; empty: all 0
  std::vector<int64_t> dilations;     // empty: all 1
  int64_t group = 1;
  AutoPad auto_pad = AutoPad::kNotSet;
};

struct ConvTransposeAttrs : ConvAttrs {
  std::vector<int64_t> output_padding;  // empty: all 0
  std::vector<int64_t> output_shape;    // spatial dims only; empty: computed from pads
};

// Fully resolved geometry over the spatial dims (all vectors have one entry per spatial dim).
struct ConvGeometry {
  int64_t batch = 0, in_channels = 0, out_channels = 0, group = 1;
  std::vector<int64_t> in_spatial, out_spatial, kernel, strides, dilations, pad_begin, pad_end;
  std::vector<int64_t> output_padding;  // ConvTranspose only
  Shape output_shape() const;           // {N, out_channels, out_spatial...}
};

// Reads the attributes common to Conv and ConvTranspose (and validates their lengths/values).
void parse_conv_common(const ir::Node& node, AttrReader& r, ConvAttrs& a);
AutoPad parse_auto_pad(const ir::Node& node, const std::string& s);

// Conv: x is {N, C, D1..Dn}, w is {M, C/group, k1..kn}. Fails (bad input) naming the node when the
// shapes do not fit the attributes.
ConvGeometry resolve_conv(const ir::Node& node, const ConvAttrs& a, const Shape& x, const Shape& w);
// ConvTranspose: x is {N, C, D1..Dn}, w is {C, M/group, k1..kn}; out_channels = M.
ConvGeometry resolve_conv_transpose(const ir::Node& node, const ConvTransposeAttrs& a, const Shape& x,
                                    const Shape& w);

// C[M,N] += A[M,K] * B[K,N], row-major with leading dimensions; blocked and register-tiled.
// Runs on the calling thread (callers parallelize over independent row/column ranges).
void gemm_accumulate(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B,
                     int64_t ldb, float* C, int64_t ldc);
void gemm_accumulate(int64_t M, int64_t N, int64_t K, const double* A, int64_t lda, const double* B,
                     int64_t ldb, double* C, int64_t ldc);

}  // namespace shrink::ops
