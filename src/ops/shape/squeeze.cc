// Squeeze and Unsqueeze: drop / insert size-1 dims. Axes are an attribute before opset 13 and
// input 1 from 13 on. Views at run time, so infer gives the exact shape when axes are known.
#include "ops/shape/shape_attrs.h"
#include "ops/shape/shape_util.h"

namespace shrink::ops {
namespace {

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t opset) {
  AttrReader r(node);
  auto a = std::make_shared<AxesAttrs>();
  if (opset >= 13) {
    a->axes_input = true;
  } else {
    if (r.has("axes")) a->axes = r.get_ints("axes");
    SHRINK_CHECK(!node.has_input(1), node.label(), " takes axes as an attribute before opset 13, not an input");
  }
  r.done();
  return a;
}

// The axes when known: nullopt with known=true means "not given".
std::optional<std::vector<int64_t>> axes_of(const ir::Node& node, std::span<const ValueMeta> in, bool& known) {
  const auto& a = node.attrs_as<AxesAttrs>();
  known = true;
  if (!a.axes_input) return a.axes;
  if (!has_input(in, 1)) return std::nullopt;
  if (!in[1].value) {
    known = false;
    return std::nullopt;
  }
  return read_int_list(node, *in[1].value, "axes");
}

bool infer_squeeze(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  require_storable(node, in[0], 0);
  bool known = true;
  auto axes = axes_of(node, in, known);
  if (!known) return false;
  const Shape& s = in[0].shape;
  std::vector<bool> drop(s.size(), false);
  if (axes) {
    for (int64_t a : node_axes(node, *axes, int64_t(s.size()))) {
      SHRINK_CHECK(s[size_t(a)] == 1, node.label(), " cannot squeeze axis ", a, " of size ", s[size_t(a)]);
      drop[size_t(a)] = true;
    }
  } else {
    for (size_t i = 0; i < s.size(); ++i) drop[i] = s[i] == 1;
  }
  Shape o;
  for (size_t i = 0; i < s.size(); ++i)
    if (!drop[i]) o.push_back(s[i]);
  out[0] = {in[0].dtype, o};
  return true;
}

bool infer_unsqueeze(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  require_storable(node, in[0], 0);
  bool known = true;
  auto axes = axes_of(node, in, known);
  if (!known) return false;
  SHRINK_CHECK(axes.has_value(), node.label(), " requires axes");
  const Shape& s = in[0].shape;
  const int64_t rank = int64_t(s.size() + axes->size());
  std::vector<bool> insert(size_t(rank), false);
  for (int64_t a : node_axes(node, *axes, rank)) insert[size_t(a)] = true;
  Shape o;
  size_t k = 0;
  for (int64_t i = 0; i < rank; ++i) o.push_back(insert[size_t(i)] ? 1 : s[k++]);
  out[0] = {in[0].dtype, o};
  return true;
}

void compute(const ir::Node&, std::span<const Tensor> in, std::span<Tensor> out) { copy_bytes(in[0], out[0]); }

}  // namespace

extern const OpSchema kSqueeze{.op_type = "Squeeze", .max_inputs = 2, .parse = parse, .infer = infer_squeeze,
                               .compute = compute};
extern const OpSchema kUnsqueeze{.op_type = "Unsqueeze", .max_inputs = 2, .parse = parse, .infer = infer_unsqueeze,
                                 .compute = compute};

}  // namespace shrink::ops
