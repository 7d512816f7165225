// MaxPool (with optional int64 Indices, storage_order) and AveragePool (count_include_pad), 1D-3D,
// strides, pads, dilations, ceil_mode, auto_pad. Windows are separable, so each spatial dim gets a
// table of the input positions every output position reads; planes (n, c) run in parallel.
#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/common.h"
#include "ops/nn/pool.h"

namespace shrink::ops {
namespace {

constexpr int64_t kMaxAttr = int64_t(1) << 31;  // keeps (kernel - 1) * dilation + pads far from overflow

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t opset, PoolKind kind) {
  AttrReader r(node);
  auto a = std::make_shared<PoolAttrs>();
  a->kind = kind;
  a->kernel_shape = r.get_ints("kernel_shape");
  a->strides = r.get_ints("strides");
  a->pads = r.get_ints("pads");
  a->auto_pad = parse_auto_pad(node, r.get_string("auto_pad", "NOTSET"));
  a->ceil_mode = r.get_int("ceil_mode", 0) != 0;
  if (kind == PoolKind::kMax) {
    a->dilations = r.get_ints("dilations");
    a->storage_order = r.get_int("storage_order", 0);
    SHRINK_CHECK(a->storage_order == 0 || a->storage_order == 1, node.label(), " storage_order must be 0 or 1");
  } else {
    if (opset >= 19) a->dilations = r.get_ints("dilations");
    a->count_include_pad = r.get_int("count_include_pad", 0) != 0;
  }
  r.done();
  SHRINK_CHECK(!a->kernel_shape.empty(), node.label(), " needs kernel_shape");
  for (int64_t v : a->kernel_shape) SHRINK_CHECK(v >= 1, node.label(), " kernel_shape must be positive");
  for (int64_t v : a->strides) SHRINK_CHECK(v >= 1, node.label(), " strides must be positive");
  for (int64_t v : a->dilations) SHRINK_CHECK(v >= 1, node.label(), " dilations must be positive");
  for (int64_t v : a->pads) SHRINK_CHECK(v >= 0, node.label(), " pads must be non-negative");
  for (const auto* v : {&a->kernel_shape, &a->strides, &a->pads, &a->dilations})
    for (int64_t x : *v) SHRINK_CHECK(x <= kMaxAttr, node.label(), " attribute value ", x, " is too large");
  const size_t n = a->kernel_shape.size();
  SHRINK_CHECK((a->strides.empty() || a->strides.size() == n) && (a->pads.empty() || a->pads.size() == 2 * n) &&
                   (a->dilations.empty() || a->dilations.size() == n),
               node.label(), " strides/pads/dilations do not match kernel_shape ", shape_str(a->kernel_shape));
  return a;
}

std::shared_ptr<const ir::OpAttrs> parse_max(const ir::Node& node, int64_t opset) {
  return parse(node, opset, PoolKind::kMax);
}
std::shared_ptr<const ir::OpAttrs> parse_avg(const ir::Node& node, int64_t opset) {
  return parse(node, opset, PoolKind::kAverage);
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  const auto& a = node.attrs_as<PoolAttrs>();
  const DType t = in[0].dtype;
  SHRINK_CHECK(is_float(t) || (a.kind == PoolKind::kMax && (t == DType::kInt8 || t == DType::kUInt8)),
               node.label(), " unsupported input type ", dtype_name(t));
  ConvGeometry g = resolve_pool(node, a, in[0].shape);
  Shape s = g.output_shape();
  checked_numel(s, "pool output");
  out[0] = ValueMeta{t, s};
  if (out.size() > 1) {
    SHRINK_CHECK(a.kind == PoolKind::kMax, node.label(), " only MaxPool has an Indices output");
    out[1] = ValueMeta{DType::kInt64, s};
  }
  return true;
}

template <class T>
void run(const ir::Node& node, const Tensor& xt, Tensor& yt, Tensor* idx) {
  using C = compute_t<T>;
  const auto& a = node.attrs_as<PoolAttrs>();
  const ConvGeometry g = resolve_pool(node, a, xt.shape());
  const size_t n = g.kernel.size();
  std::vector<PoolTaps> dims;
  for (size_t d = 0; d < n; ++d) dims.push_back(pool_taps(g, d));
  std::vector<int64_t> row_stride(n, 1), col_stride(n, 1);
  for (size_t d = n - 1; d > 0; --d) row_stride[d - 1] = row_stride[d] * g.in_spatial[d];
  for (size_t d = 1; d < n; ++d) col_stride[d] = col_stride[d - 1] * g.in_spatial[d - 1];
  int64_t in_size = 1, out_size = 1;
  for (size_t d = 0; d < n; ++d) in_size *= g.in_spatial[d], out_size *= g.out_spatial[d];
  const T* x = static_cast<const T*>(xt.raw());
  T* y = static_cast<T*>(yt.raw());
  int64_t* ind = idx ? idx->data<int64_t>() : nullptr;
  const bool colmajor = a.storage_order == 1;
  parallel_for(g.batch * g.in_channels, std::max<int64_t>(1, 4096 / std::max<int64_t>(out_size, 1)),
               [&](int64_t p0, int64_t p1) {
    std::vector<int64_t> o(n);
    for (int64_t p = p0; p < p1; ++p) {
      const T* xp = x + p * in_size;
      std::fill(o.begin(), o.end(), 0);
      for (int64_t op = 0; op < out_size; ++op) {
        double sum = 0;
        int64_t valid = 1, padded = 1;
        C best = std::numeric_limits<C>::lowest();
        int64_t best_row = -1, best_col = 0;
        for (size_t d = 0; d < n; ++d) {
          valid *= dims[d].start[size_t(o[d]) + 1] - dims[d].start[size_t(o[d])];
          padded *= dims[d].padded_count[size_t(o[d])];
        }
        auto visit = [&](auto&& self, size_t d, int64_t roff, int64_t coff) -> void {
          const PoolTaps& t = dims[d];
          for (int64_t j = t.start[size_t(o[d])]; j < t.start[size_t(o[d]) + 1]; ++j) {
            const int64_t i = t.taps[size_t(j)];
            const int64_t r = roff + i * row_stride[d], c = coff + i * col_stride[d];
            if (d + 1 < n) {
              self(self, d + 1, r, c);
            } else if (a.kind == PoolKind::kAverage) {
              sum += double(C(xp[r]));
            } else {
              const C v = C(xp[r]);
              if (best_row < 0 || v > best || (std::isnan(double(v)) && !std::isnan(double(best)))) {
                best = v, best_row = r, best_col = c;
              }
            }
          }
        };
        if (valid > 0) visit(visit, 0, 0, 0);
        if (a.kind == PoolKind::kAverage) {
          y[p * out_size + op] = T(C(sum / double(a.count_include_pad ? padded : valid)));
        } else {
          y[p * out_size + op] = best_row >= 0 ? xp[best_row] : T(best);
          if (ind) ind[p * out_size + op] = p * in_size + (colmajor ? best_col : std::max<int64_t>(best_row, 0));
        }
        for (int64_t d = int64_t(n) - 1; d >= 0; --d) {
          if (++o[size_t(d)] < g.out_spatial[size_t(d)]) break;
          o[size_t(d)] = 0;
        }
      }
    }
  });
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  Tensor* idx = out.size() > 1 && out[1].defined() ? &out[1] : nullptr;
  visit_dtype(in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool>) fail_input(node.label(), " bool input");
    else run<T>(node, in[0], out[0], idx);
  }, node.label());
}

}  // namespace

PoolTaps pool_taps(const ConvGeometry& g, size_t d) {
  PoolTaps t;
  const int64_t in = g.in_spatial[d];
  for (int64_t o = 0; o < g.out_spatial[d]; ++o) {
    t.start.push_back(int64_t(t.taps.size()));
    // Taps k in [0, K) with input position start + k * dil inside [0, in), and inside the padded
    // extent [-pad_begin, in + pad_end); computed, not scanned, so huge kernels cannot stall.
    const int64_t start = o * g.strides[d] - g.pad_begin[d], dil = g.dilations[d], K = g.kernel[d];
    auto ceil_div = [](int64_t a, int64_t b) { return a <= 0 ? -((-a) / b) : (a + b - 1) / b; };
    const int64_t k_lo = std::clamp<int64_t>(ceil_div(-start, dil), 0, K);
    const int64_t k_hi = std::clamp<int64_t>(ceil_div(in - start, dil), k_lo, K);
    for (int64_t k = k_lo; k < k_hi; ++k) t.taps.push_back(start + k * dil);
    const int64_t padded = std::clamp<int64_t>(ceil_div(in + g.pad_end[d] - start, dil), 0, K);
    t.padded_count.push_back(padded);
  }
  t.start.push_back(int64_t(t.taps.size()));
  return t;
}

ConvGeometry resolve_pool(const ir::Node& node, const PoolAttrs& a, const Shape& x) {
  const size_t n = a.kernel_shape.size();
  SHRINK_CHECK(x.size() == n + 2, node.label(), " input ", shape_str(x), " does not match kernel_shape ",
               shape_str(a.kernel_shape));
  ConvGeometry g;
  g.batch = x[0];
  g.in_channels = g.out_channels = x[1];
  g.in_spatial.assign(x.begin() + 2, x.end());
  g.kernel = a.kernel_shape;
  g.strides = a.strides.empty() ? std::vector<int64_t>(n, 1) : a.strides;
  g.dilations = a.dilations.empty() ? std::vector<int64_t>(n, 1) : a.dilations;
  g.pad_begin.assign(n, 0);
  g.pad_end.assign(n, 0);
  if (!a.pads.empty() && a.auto_pad == AutoPad::kNotSet) {
    g.pad_begin.assign(a.pads.begin(), a.pads.begin() + long(n));
    g.pad_end.assign(a.pads.begin() + long(n), a.pads.end());
  }
  for (size_t d = 0; d < n; ++d) {
    const int64_t in = g.in_spatial[d], s = g.strides[d], eff = (g.kernel[d] - 1) * g.dilations[d] + 1;
    int64_t out;
    if (a.auto_pad == AutoPad::kSameUpper || a.auto_pad == AutoPad::kSameLower) {
      out = (in + s - 1) / s;
      const int64_t total = std::max<int64_t>(0, (out - 1) * s + eff - in);
      g.pad_begin[d] = a.auto_pad == AutoPad::kSameUpper ? total / 2 : total - total / 2;
      g.pad_end[d] = total - g.pad_begin[d];
    } else {
      const int64_t span = in + g.pad_begin[d] + g.pad_end[d] - eff;
      SHRINK_CHECK(span >= 0, node.label(), " kernel ", shape_str(g.kernel), " does not fit input ", shape_str(x));
      out = (a.ceil_mode ? (span + s - 1) / s : span / s) + 1;
      // A last window that would start in the right padding is dropped (ONNX, PyTorch).
      if (a.ceil_mode && (out - 1) * s >= in + g.pad_begin[d]) --out;
    }
    g.out_spatial.push_back(out);
  }
  return g;
}

extern const OpSchema kMaxPool{.op_type = "MaxPool", .max_outputs = 2, .parse = parse_max, .infer = infer,
                               .compute = compute};
extern const OpSchema kAveragePool{.op_type = "AveragePool", .parse = parse_avg, .infer = infer,
                                   .compute = compute};

}  // namespace shrink::ops
