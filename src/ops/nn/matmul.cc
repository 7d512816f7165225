// MatMul: numpy matmul (1-D promotion, batch broadcasting) for float types and 32/64-bit
// integers. Floats accumulate in their own precision (float32 in float32, like BLAS); 16-bit
// floats compute in float32 and round once; integers wrap like two's complement hardware.
#include "ops/nn/matmul.h"

#include <type_traits>

#include "ops/nn/matmul_run.h"

namespace shrink::ops {

MatMulShape matmul_shape(const Shape& a, const Shape& b, const std::string& label) {
  SHRINK_CHECK(!a.empty() && !b.empty(), label, " MatMul operands must have rank >= 1, got ", shape_str(a), " and ",
               shape_str(b));
  Shape a2 = a.size() == 1 ? Shape{1, a[0]} : a;
  Shape b2 = b.size() == 1 ? Shape{b[0], 1} : b;
  MatMulShape s;
  s.m = a2[a2.size() - 2];
  s.k = a2[a2.size() - 1];
  s.n = b2[b2.size() - 1];
  SHRINK_CHECK(b2[b2.size() - 2] == s.k, label, " MatMul inner dimensions differ: ", shape_str(a), " x ",
               shape_str(b));
  const size_t ra = a2.size() - 2, rb = b2.size() - 2, r = std::max(ra, rb);
  s.a_batch.assign(r, 1);
  s.b_batch.assign(r, 1);
  for (size_t i = 0; i < ra; ++i) s.a_batch[r - ra + i] = a2[i];
  for (size_t i = 0; i < rb; ++i) s.b_batch[r - rb + i] = b2[i];
  s.batch.resize(r);
  for (size_t i = 0; i < r; ++i) {
    const int64_t x = s.a_batch[i], y = s.b_batch[i];
    SHRINK_CHECK(x == y || x == 1 || y == 1, label, " MatMul batch dimensions do not broadcast: ", shape_str(a),
                 " x ", shape_str(b));
    s.batch[i] = x == 1 ? y : x;
  }
  s.out = s.batch;
  if (a.size() > 1) s.out.push_back(s.m);
  if (b.size() > 1) s.out.push_back(s.n);
  checked_numel(s.out, "MatMul output");
  return s;
}

namespace {

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  require_same_dtype(node, in, 0, 1);
  SHRINK_CHECK(matmul_dtype_ok(in[0].dtype), node.label(), " MatMul does not support ", dtype_name(in[0].dtype));
  out[0] = ValueMeta{in[0].dtype, matmul_shape(in[0].shape, in[1].shape, node.label()).out};
  return true;
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const MatMulShape s = matmul_shape(in[0].shape(), in[1].shape(), node.label());
  const int64_t nb = s.batch_count();
  // Each output batch's operand offsets, in matrices, following the broadcast.
  std::vector<int64_t> a_off(static_cast<size_t>(nb)), b_off(static_cast<size_t>(nb));
  const auto a_str = strides_of(s.a_batch), b_str = strides_of(s.b_batch);
  for (int64_t i = 0; i < nb; ++i) {
    int64_t rem = i, oa = 0, ob = 0;
    for (size_t d = s.batch.size(); d-- > 0;) {
      const int64_t idx = rem % s.batch[d];
      rem /= s.batch[d];
      if (s.a_batch[d] != 1) oa += idx * a_str[d];
      if (s.b_batch[d] != 1) ob += idx * b_str[d];
    }
    a_off[size_t(i)] = oa * s.m * s.k;
    b_off[size_t(i)] = ob * s.k * s.n;
  }
  run_matmul(in[0], in[1], out[0], [&](auto a, auto b, auto c) {
    using T = std::remove_const_t<std::remove_pointer_t<decltype(a)>>;
    matmul_tasks(nb, s.m, s.n, s.k, [&](int64_t bi, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
      const T* ab = a + a_off[size_t(bi)] + r0 * s.k;
      const T* bb = b + b_off[size_t(bi)] + c0;
      T* cb = c + bi * s.m * s.n + r0 * s.n + c0;
      matmul_block<T>(r1 - r0, c1 - c0, s.k, {ab, s.k, 1}, {bb, s.n, 1}, cb, s.n);
    });
  });
}

}  // namespace

extern const OpSchema kMatMul{.op_type = "MatMul", .min_inputs = 2, .max_inputs = 2, .infer = infer,
                              .compute = compute};

}  // namespace shrink::ops
