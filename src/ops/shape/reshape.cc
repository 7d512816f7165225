// Reshape: new shape from input 1 (0 copies the input dim unless allowzero, -1 is inferred).
// A view at run time, so infer computes the exact shape whenever input 1 is known.
#include "ops/shape/shape_attrs.h"
#include "ops/shape/shape_util.h"

namespace shrink::ops {
namespace {

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t opset) {
  AttrReader r(node);
  auto a = std::make_shared<ReshapeAttrs>();
  if (opset >= 14) a->allowzero = r.get_int("allowzero", 0) != 0;
  r.done();
  return a;
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  require_storable(node, in[0], 0);
  SHRINK_CHECK(in[1].dtype == DType::kInt64, node.label(), " shape must be int64, got ", dtype_name(in[1].dtype));
  SHRINK_CHECK(in[1].shape.size() == 1, node.label(), " shape must be 1-D, got ", shape_str(in[1].shape));
  if (!in[1].value) return false;
  const bool allowzero = node.attrs_as<ReshapeAttrs>().allowzero;
  const Shape& src = in[0].shape;
  Shape dims = read_int_list(node, *in[1].value, "shape");
  int infer_at = -1;
  bool has_zero = false;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == -1) {
      SHRINK_CHECK(infer_at < 0, node.label(), " shape ", shape_str(dims), " has more than one -1");
      infer_at = int(i);
    } else if (dims[i] == 0 && !allowzero) {
      SHRINK_CHECK(i < src.size(), node.label(), " shape ", shape_str(dims), " copies dim ", i,
                   " of an input of rank ", src.size());
      dims[i] = src[i];
    } else {
      SHRINK_CHECK(dims[i] >= 0, node.label(), " shape ", shape_str(dims), " has a negative dim");
      has_zero = has_zero || dims[i] == 0;
    }
  }
  const int64_t n = numel(src);
  if (infer_at >= 0) {
    SHRINK_CHECK(!has_zero, node.label(), " shape ", shape_str(dims), " has both 0 and -1 with allowzero");
    Shape rest = dims;
    rest[size_t(infer_at)] = 1;
    const int64_t known = node_numel(node, rest, "shape");
    SHRINK_CHECK(known > 0 && n % known == 0, node.label(), " cannot reshape ", shape_str(src), " to ",
                 shape_str(dims));
    dims[size_t(infer_at)] = n / known;
  }
  SHRINK_CHECK(node_numel(node, dims, "shape") == n, node.label(), " cannot reshape ", shape_str(src), " to ",
               shape_str(dims));
  out[0] = {in[0].dtype, dims};
  return true;
}

void compute(const ir::Node&, std::span<const Tensor> in, std::span<Tensor> out) { copy_bytes(in[0], out[0]); }

}  // namespace

extern const OpSchema kReshape{.op_type = "Reshape", .min_inputs = 2, .max_inputs = 2, .since_opset = 5,
                               .parse = parse, .infer = infer, .compute = compute};

}  // namespace shrink::ops
