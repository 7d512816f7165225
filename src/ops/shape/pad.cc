// Pad: grow (or, with negative pads, crop) each axis; new elements are a constant, a reflection
// (mirror without repeating the edge), the edge value, or a wrap-around. Pads, the constant and
// (opset 18+) axes are inputs from opset 11 on, attributes before.
#include <algorithm>

#include "ops/shape/shape_attrs.h"
#include "ops/shape/shape_util.h"

namespace shrink::ops {
namespace {

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t opset) {
  AttrReader r(node);
  auto a = std::make_shared<PadAttrs>();
  const std::string mode = r.get_string("mode", "constant");
  if (mode == "constant") a->mode = PadMode::kConstant;
  else if (mode == "reflect") a->mode = PadMode::kReflect;
  else if (mode == "edge") a->mode = PadMode::kEdge;
  else if (mode == "wrap") a->mode = PadMode::kWrap;
  else fail_input(node.label(), " unknown mode '", mode, "'");
  if (opset >= 11) {
    a->pads_input = true;
  } else {
    a->pads = r.get_ints("pads");
    a->value = r.get_float("value", 0.f);
    SHRINK_CHECK(!node.has_input(1), node.label(), " takes pads as an attribute before opset 11");
  }
  r.done();
  return a;
}

struct Plan {
  std::vector<int64_t> begin;  // pad before, per axis (negative crops)
  Shape out;
};

Plan plan_pad(const ir::Node& node, const Shape& s, const Tensor* pads_t, const Tensor* axes_t) {
  const auto& a = node.attrs_as<PadAttrs>();
  const int64_t rank = int64_t(s.size());
  std::vector<int64_t> pads = pads_t ? read_int_list(node, *pads_t, "pads") : a.pads;
  std::vector<int64_t> axes;
  if (axes_t) {
    axes = node_axes(node, read_int_list(node, *axes_t, "axes"), rank);
  } else {
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
  }
  SHRINK_CHECK(pads.size() == 2 * axes.size(), node.label(), " has ", pads.size(), " pads for ", axes.size(),
               " axes");
  Plan p{std::vector<int64_t>(size_t(rank), 0), s};
  for (size_t i = 0; i < axes.size(); ++i) {
    const size_t ax = size_t(axes[i]);
    const int64_t b = pads[i], e = pads[i + axes.size()];
    SHRINK_CHECK(b >= -kMaxElements && b <= kMaxElements && e >= -kMaxElements && e <= kMaxElements, node.label(), " pads ",
                 shape_str(pads), " are too large");
    p.begin[ax] = b;
    p.out[ax] = s[ax] + b + e;
    SHRINK_CHECK(p.out[ax] >= 0, node.label(), " pads ", shape_str(pads), " crop axis ", ax, " below zero");
    SHRINK_CHECK(a.mode == PadMode::kConstant || s[ax] > 0 || p.out[ax] == 0, node.label(),
                 " cannot pad an empty axis ", ax, " in a non-constant mode");
  }
  node_numel(node, p.out, "output shape");
  return p;
}

// Source coordinate on an axis of size d for output coordinate o, or -1 for the constant.
inline int64_t source(PadMode mode, int64_t o, int64_t begin, int64_t d) {
  int64_t x = o - begin;
  if (x >= 0 && x < d) return x;
  switch (mode) {
    case PadMode::kConstant: return -1;
    case PadMode::kEdge: return std::clamp<int64_t>(x, 0, d - 1);
    case PadMode::kWrap: return ((x % d) + d) % d;
    case PadMode::kReflect: {
      if (d == 1) return 0;
      const int64_t period = 2 * (d - 1);
      x = ((x % period) + period) % period;
      return x < d ? x : period - x;
    }
  }
  return -1;
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  require_storable(node, in[0], 0);
  const auto& a = node.attrs_as<PadAttrs>();
  if (a.pads_input) {
    SHRINK_CHECK(has_input(in, 1), node.label(), " requires the pads input");
    SHRINK_CHECK(in[1].dtype == DType::kInt64, node.label(), " pads must be int64");
    if (has_input(in, 2))
      SHRINK_CHECK(in[2].dtype == in[0].dtype && numel(in[2].shape) <= 1, node.label(),
                   " constant_value must be a scalar of the data's type");
    for (size_t i = 1; i < in.size(); ++i)
      if (in[i].present() && i != 2 && !in[i].value) return false;
  }
  Plan p = plan_pad(node, in[0].shape, a.pads_input ? in[1].value : nullptr, has_input(in, 3) ? in[3].value : nullptr);
  out[0] = {in[0].dtype, p.out};
  return true;
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const auto& a = node.attrs_as<PadAttrs>();
  const Shape& s = in[0].shape();
  Plan p = plan_pad(node, s, a.pads_input ? &in[1] : nullptr, has_input(in, 3) ? &in[3] : nullptr);
  const Shape& os = out[0].shape();
  const int64_t total = out[0].numel();
  if (total == 0) return;
  if (os.empty()) {
    copy_bytes(in[0], out[0]);
    return;
  }
  // The constant, as one element of the data's type.
  Tensor fill(in[0].dtype(), {});
  if (has_input(in, 2) && in[2].numel() > 0) {
    std::memcpy(fill.raw(), in[2].raw(), fill.nbytes());
  } else if (!a.pads_input) {
    visit_dtype(in[0].dtype(), [&](auto tag) {
      using T = decltype(tag);
      *fill.data<T>() = T(compute_t<T>(a.value));
    });
  }
  const size_t rank = os.size();
  const auto in_strides = strides_of(s);
  const int64_t row = os[rank - 1], rows = total / row;
  const int64_t last_b = p.begin[rank - 1], last_d = s[rank - 1];
  visit_word(dtype_size(in[0].dtype()), [&](auto tag) {
    using U = decltype(tag);
    const U* src = static_cast<const U*>(in[0].raw());
    U* dst = static_cast<U*>(out[0].raw());
    const U fv = *static_cast<const U*>(fill.raw());
    parallel_for(rows, std::max<int64_t>(1, 16384 / row), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        U* d = dst + r * row;
        int64_t off = 0;
        bool constant_row = false;
        for (int64_t k = int64_t(rank) - 2, q = r; k >= 0; --k) {
          const int64_t c = source(a.mode, q % os[size_t(k)], p.begin[size_t(k)], s[size_t(k)]);
          q /= os[size_t(k)];
          if (c < 0) constant_row = true;
          else off += c * in_strides[size_t(k)];
        }
        if (constant_row) {
          std::fill(d, d + row, fv);
          continue;
        }
        for (int64_t j = 0; j < row; ++j) {
          const int64_t c = source(a.mode, j, last_b, last_d);
          d[j] = c < 0 ? fv : src[off + c];
        }
      }
    });
  });
}

}  // namespace

extern const OpSchema kPad{.op_type = "Pad", .max_inputs = 4, .since_opset = 2, .parse = parse, .infer = infer,
                           .compute = compute};

}  // namespace shrink::ops
