// Gemm: Y[M,N] = alpha * op(A) * op(B) + beta * C, with C optional (since opset 11) and
// broadcast unidirectionally to [M,N]. The product runs in the blocked MatMul kernel; transposes
// are strides, not copies (the kernel packs B anyway).
#include "ops/nn/gemm.h"

#include "ops/attr_reader.h"
#include "ops/nn/matmul_run.h"

namespace shrink::ops {
namespace {

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t opset) {
  AttrReader r(node);
  auto a = std::make_shared<GemmAttrs>();
  a->alpha = r.get_float("alpha", 1.f);
  a->beta = r.get_float("beta", 1.f);
  const int64_t ta = r.get_int("transA", 0), tb = r.get_int("transB", 0);
  SHRINK_CHECK((ta == 0 || ta == 1) && (tb == 0 || tb == 1), node.label(), " transA/transB must be 0 or 1");
  a->trans_a = ta == 1;
  a->trans_b = tb == 1;
  r.done();
  SHRINK_CHECK(opset >= 11 || node.has_input(2), node.label(), " input C is required before opset 11");
  return a;
}

struct Dims {
  int64_t m, k, n;
};

Dims gemm_dims(const ir::Node& node, const Shape& a, const Shape& b) {
  const auto& at = node.attrs_as<GemmAttrs>();
  SHRINK_CHECK(a.size() == 2 && b.size() == 2, node.label(), " A and B must be 2-D, got ", shape_str(a), " and ",
               shape_str(b));
  Dims d{at.trans_a ? a[1] : a[0], at.trans_a ? a[0] : a[1], at.trans_b ? b[0] : b[1]};
  const int64_t kb = at.trans_b ? b[1] : b[0];
  SHRINK_CHECK(d.k == kb, node.label(), " inner dimensions differ: op(A) is ", d.m, "x", d.k, ", op(B) is ", kb, "x",
               d.n);
  return d;
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  require_same_dtype(node, in, 0, 1);
  SHRINK_CHECK(matmul_dtype_ok(in[0].dtype), node.label(), " does not support ", dtype_name(in[0].dtype));
  const Dims d = gemm_dims(node, in[0].shape, in[1].shape);
  if (in.size() > 2 && in[2].present()) {
    require_same_dtype(node, in, 0, 2);
    const Shape& c = in[2].shape;
    bool ok = c.size() <= 2;
    if (c.size() == 2) ok = ok && (c[0] == 1 || c[0] == d.m) && (c[1] == 1 || c[1] == d.n);
    if (c.size() == 1) ok = ok && (c[0] == 1 || c[0] == d.n);
    SHRINK_CHECK(ok, node.label(), " C of shape ", shape_str(c), " does not broadcast to [", d.m, ",", d.n, "]");
  }
  out[0] = ValueMeta{in[0].dtype, {d.m, d.n}};
  return true;
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const auto& at = node.attrs_as<GemmAttrs>();
  const Dims d = gemm_dims(node, in[0].shape(), in[1].shape());
  const bool has_c = in.size() > 2 && in[2].defined();
  // C's element (i, j) is c_vals[i * c_row + j * c_col] (0 strides where broadcast).
  int64_t c_row = 0, c_col = 0;
  std::vector<double> c_float;
  std::vector<int64_t> c_int;
  const bool int_type = is_integer(in[0].dtype());
  if (has_c) {
    const Tensor& c = in[2];
    const int64_t c0 = c.rank() == 2 ? c.dim(0) : 1, c1 = c.rank() >= 1 ? c.dim(c.rank() - 1) : 1;
    c_row = c0 == 1 ? 0 : c1;
    c_col = c1 == 1 ? 0 : 1;
    for (int64_t i = 0; i < c.numel(); ++i) {
      if (int_type) c_int.push_back(c.as_int64(i));
      else c_float.push_back(c.as_double(i));
    }
  }
  const bool is_signed = traits(in[0].dtype()).is_signed;
  run_matmul(in[0], in[1], out[0], [&](auto a, auto b, auto y) {
    using K = std::remove_const_t<std::remove_pointer_t<decltype(a)>>;
    const MatView<K> av = at.trans_a ? MatView<K>{a, 1, d.m} : MatView<K>{a, d.k, 1};
    const MatView<K> bv = at.trans_b ? MatView<K>{b, 1, d.k} : MatView<K>{b, d.n, 1};
    matmul_tasks(1, d.m, d.n, d.k, [&](int64_t, int64_t r0, int64_t r1, int64_t j0, int64_t j1) {
      matmul_block<K>(r1 - r0, j1 - j0, d.k, {av.data + r0 * av.row_stride, av.row_stride, av.col_stride},
                      {bv.data + j0 * bv.col_stride, bv.row_stride, bv.col_stride}, y + r0 * d.n + j0, d.n);
    });
    if (at.alpha == 1.f && !has_c) return;
    parallel_for(d.m, std::max<int64_t>(1, 16384 / std::max<int64_t>(d.n, 1)), [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) {
        K* yr = y + i * d.n;
        for (int64_t j = 0; j < d.n; ++j) {
          if constexpr (std::is_floating_point_v<K>) {
            K v = K(at.alpha) * yr[j];
            if (has_c) v += K(at.beta) * K(c_float[size_t(i * c_row + j * c_col)]);
            yr[j] = v;
          } else {
            const int64_t cv = has_c ? c_int[size_t(i * c_row + j * c_col)] : 0;
            if (at.alpha == 1.f && at.beta == 1.f) {
              yr[j] += K(cv);
            } else {
              const double yv = is_signed ? double(std::make_signed_t<K>(yr[j])) : double(yr[j]);
              const double v = double(at.alpha) * yv + (has_c ? double(at.beta) * double(cv) : 0.0);
              yr[j] = is_signed ? K(std::make_signed_t<K>(v)) : K(v);
            }
          }
        }
      }
    });
  });
}

}  // namespace

extern const OpSchema kGemm{.op_type = "Gemm", .min_inputs = 2, .max_inputs = 3, .parse = parse, .infer = infer,
                            .compute = compute};

}  // namespace shrink::ops
