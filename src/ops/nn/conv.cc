// Conv (1D/2D/3D, groups, dilations, strides, pads, auto_pad, optional bias). The reference kernel
// is im2col + blocked GEMM per (image, group); the work is split across threads over (image, group)
// pairs when there are enough of them, else over GEMM tiles of one pair.
#include <algorithm>

#include "ops/common.h"
#include "ops/nn/conv.h"
#include "ops/nn/conv_kernel.h"

namespace shrink::ops {
namespace {

using namespace conv_detail;

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t) {
  AttrReader r(node);
  auto a = std::make_shared<ConvAttrs>();
  parse_conv_common(node, r, *a);
  r.done();
  return a;
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  require_float(node, in[0], 0);
  require_same_dtype(node, in, 0, 1);
  const auto& a = node.attrs_as<ConvAttrs>();
  ConvGeometry g = resolve_conv(node, a, in[0].shape, in[1].shape);
  if (in.size() > 2 && in[2].present()) {
    require_same_dtype(node, in, 0, 2);
    SHRINK_CHECK(in[2].shape == Shape{g.out_channels}, node.label(), " bias B has shape ", shape_str(in[2].shape),
                 ", expected {", g.out_channels, "}");
  }
  Shape s = g.output_shape();
  checked_numel(s, "Conv output");
  out[0] = ValueMeta{in[0].dtype, s};
  return true;
}

// Fills rows (c, kernel offset) of the im2col matrix for one image and group, for output positions
// whose first spatial index is in [o0_begin, o0_end): col[row][out_pos - o0_begin * block0].
template <class Acc>
void im2col(const ConvGeometry& g, const Acc* x, int64_t o0_begin, int64_t o0_end, int64_t row_begin,
            int64_t row_end, Acc* col) {
  const size_t n = g.kernel.size();
  const int64_t kk = prod(g.kernel), in_size = prod(g.in_spatial);
  std::vector<int64_t> in_stride(n, 1), out_block(n, 1), kidx(n);
  for (size_t d = n - 1; d > 0; --d) {
    in_stride[d - 1] = in_stride[d] * g.in_spatial[d];
    out_block[d - 1] = out_block[d] * g.out_spatial[d];
  }
  for (int64_t row = row_begin; row < row_end; ++row) {
    const Acc* xc = x + (row / kk) * in_size;
    for (int64_t r = row % kk, d = int64_t(n) - 1; d >= 0; --d) {
      kidx[size_t(d)] = r % g.kernel[size_t(d)];
      r /= g.kernel[size_t(d)];
    }
    Acc* dst = col + row * (o0_end - o0_begin) * out_block[0];
    // Recursive over spatial dims; a whole sub-block is zero when its input coordinate is in the pad.
    auto fill = [&](auto&& self, size_t d, int64_t in_off, Acc* out) -> void {
      const int64_t s = g.strides[d], koff = kidx[d] * g.dilations[d] - g.pad_begin[d], lim = g.in_spatial[d];
      if (d + 1 == n) {
        // Valid outputs are o in [lo, hi): 0 <= o * s + koff < lim.
        const int64_t ob = d == 0 ? o0_begin : 0, oe = d == 0 ? o0_end : g.out_spatial[d];
        const int64_t lo = std::clamp<int64_t>(koff >= 0 ? 0 : (-koff + s - 1) / s, ob, oe);
        const int64_t hi = std::clamp<int64_t>(lim - koff <= 0 ? 0 : (lim - koff + s - 1) / s, lo, oe);
        Acc* base = out - ob;
        std::fill(base + ob, base + lo, Acc(0));
        const Acc* src = xc + in_off + koff;
        if (s == 1) std::copy(src + lo, src + hi, base + lo);
        else for (int64_t o = lo; o < hi; ++o) base[o] = src[o * s];
        std::fill(base + hi, base + oe, Acc(0));
        return;
      }
      const int64_t o_begin = d == 0 ? o0_begin : 0, o_end = d == 0 ? o0_end : g.out_spatial[d];
      for (int64_t o = o_begin; o < o_end; ++o) {
        const int64_t i = o * s + koff;
        Acc* sub = out + (o - o_begin) * out_block[d];
        if (i < 0 || i >= lim) std::fill(sub, sub + out_block[d], Acc(0));
        else self(self, d + 1, in_off + i * in_stride[d], sub);
      }
    };
    fill(fill, 0, 0, dst);
  }
}

template <class T>
void run_conv(const ir::Node& node, std::span<const Tensor> in, Tensor& y) {
  using Acc = std::conditional_t<std::is_same_v<T, double>, double, float>;
  const ConvGeometry g = resolve_conv(node, node.attrs_as<ConvAttrs>(), in[0].shape(), in[1].shape());
  AccView<T, Acc> x(in[0]), w(in[1]);
  AccOut<T, Acc> out(y);
  const int64_t G = g.group, cg = g.in_channels / G, mg = g.out_channels / G;
  const int64_t kk = prod(g.kernel), kdim = cg * kk;
  const int64_t in_size = prod(g.in_spatial), out_size = prod(g.out_spatial);
  if (in.size() > 2 && in[2].defined()) {
    AccView<T, Acc> b(in[2]);
    for (int64_t n = 0; n < g.batch; ++n)
      for (int64_t m = 0; m < g.out_channels; ++m)
        std::fill_n(out.data() + (n * g.out_channels + m) * out_size, out_size, b.data()[m]);
  }
  bool direct = true;  // 1x1, stride 1, no pad: the input already is the im2col matrix
  for (size_t d = 0; d < g.kernel.size(); ++d)
    direct = direct && g.kernel[d] == 1 && g.strides[d] == 1 && g.pad_begin[d] == 0 && g.pad_end[d] == 0;
  const int64_t pairs = g.batch * G;
  auto one_pair = [&](int64_t p, std::vector<Acc>& col, bool inner_parallel) {
    const int64_t n = p / G, grp = p % G;
    const Acc* xg = x.data() + (n * g.in_channels + grp * cg) * in_size;
    const Acc* B = xg;
    Acc* C = out.data() + (n * g.out_channels + grp * mg) * out_size;
    const Acc* A = w.data() + grp * mg * kdim;
    if (out_size == 0) return;
    if (direct) {
      gemm_tiles<Acc>(inner_parallel, mg, out_size, kdim, A, kdim, B, out_size, C, out_size);
      return;
    }
    // im2col in slabs along the first spatial dim so the buffer stays bounded (~64 MiB of floats).
    const int64_t n0 = g.out_spatial[0], block0 = n0 > 0 ? out_size / n0 : 0;
    const int64_t slab = std::clamp<int64_t>((int64_t(1) << 24) / std::max<int64_t>(kdim * block0, 1), 1, n0);
    for (int64_t o0 = 0; o0 < n0; o0 += slab) {
      const int64_t o1 = std::min(n0, o0 + slab), cols = (o1 - o0) * block0;
      col.resize(size_t(kdim * cols));
      if (inner_parallel)
        parallel_for(kdim, 8, [&](int64_t b, int64_t e) { im2col(g, xg, o0, o1, b, e, col.data()); });
      else
        im2col(g, xg, o0, o1, 0, kdim, col.data());
      gemm_tiles<Acc>(inner_parallel, mg, cols, kdim, A, kdim, col.data(), cols, C + o0 * block0, out_size);
    }
  };
  if (pairs >= num_threads() && pairs > 1) {
    parallel_for(pairs, 1, [&](int64_t b, int64_t e) {
      std::vector<Acc> col;
      for (int64_t p = b; p < e; ++p) one_pair(p, col, false);
    });
  } else {
    std::vector<Acc> col;
    for (int64_t p = 0; p < pairs; ++p) one_pair(p, col, true);
  }
  out.finish();
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  switch (in[0].dtype()) {
    case DType::kFloat32: return run_conv<float>(node, in, out[0]);
    case DType::kFloat64: return run_conv<double>(node, in, out[0]);
    case DType::kFloat16: return run_conv<Half>(node, in, out[0]);
    case DType::kBFloat16: return run_conv<BFloat16>(node, in, out[0]);
    default: fail_input(node.label(), " unsupported element type ", dtype_name(in[0].dtype()));
  }
}

}  // namespace

extern const OpSchema kConv{.op_type = "Conv", .min_inputs = 2, .max_inputs = 3, .parse = parse,
                            .infer = infer, .compute = compute};

}  // namespace shrink::ops
