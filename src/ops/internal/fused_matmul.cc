// FusedMatMul schema: the reference kernel runs MatMul's, then adds the bias and the residual and
// applies the activation.
#include "ops/internal/fused_matmul.h"

#include "ops/attr_reader.h"
#include "ops/common.h"

namespace shrink::ops {
namespace {

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t) {
  AttrReader r(node);
  auto a = std::make_shared<FusedMatMulAttrs>();
  parse_activation(node, r, a->activation, a->alpha, a->beta);
  r.done();
  return a;
}

const OpSchema& matmul_schema() { return *find_op("", "MatMul"); }

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  if (!matmul_schema().infer(node, in.subspan(0, 2), out)) return false;
  SHRINK_CHECK(out[0].dtype == DType::kFloat32, node.label(), " FusedMatMul is float32 only");
  const int64_t n = out[0].shape.empty() ? 1 : out[0].shape.back();
  if (in.size() > 2 && in[2].present())
    SHRINK_CHECK(in[2].dtype == DType::kFloat32 && numel(in[2].shape) == n && !in[2].shape.empty() &&
                     in[2].shape.back() == n && in[2].shape.size() <= out[0].shape.size(),
                 node.label(), " bias must hold the product's ", n, " columns, got ", shape_str(in[2].shape));
  if (in.size() > 3 && in[3].present()) {  // Add's broadcasting: the residual may widen the result
    SHRINK_CHECK(in[3].dtype == DType::kFloat32, node.label(), " residual input must be float32");
    out[0].shape = broadcast_shapes(out[0].shape, in[3].shape);
  }
  return true;
}

void add_broadcast(Tensor& y, const Tensor& r) {
  float* py = y.data<float>();
  const float* pr = r.data<float>();
  Shape shapes[1] = {r.shape()};
  for_each_broadcast_row(y.shape(), shapes, [&](int64_t o, const int64_t* off, int64_t len, const int64_t* step) {
    for (int64_t i = 0; i < len; ++i) py[o + i] += pr[off[0] + i * step[0]];
  });
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const auto& a = node.attrs_as<FusedMatMulAttrs>();
  const ValueMeta ab[2] = {{in[0].dtype(), in[0].shape(), &in[0]}, {in[1].dtype(), in[1].shape(), &in[1]}};
  std::vector<ValueMeta> pm(1);
  matmul_schema().infer(node, std::span<const ValueMeta>(ab, 2), pm);
  Tensor product(pm[0].dtype, pm[0].shape);
  matmul_schema().compute(node, in.subspan(0, 2), std::span<Tensor>(&product, 1));
  if (in.size() > 2 && in[2].defined()) add_broadcast(product, in[2]);
  add_broadcast(out[0], product);  // out arrives zeroed, possibly wider (residual broadcasting)
  if (in.size() > 3 && in[3].defined()) add_broadcast(out[0], in[3]);
  apply_activation(a.activation, a.alpha, a.beta, out[0].data<float>(), out[0].numel());
}

}  // namespace

extern const OpSchema kFusedMatMul{.op_type = "FusedMatMul", .domain = "com.shrink", .min_inputs = 2,
                                   .max_inputs = 4, .parse = parse, .infer = infer, .compute = compute};

}  // namespace shrink::ops
