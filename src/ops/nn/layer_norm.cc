// LayerNormalization (opset 17): normalizes over the dims from `axis` on, then scales and shifts
// by Scale and the optional B (broadcast to those dims). Statistics in double; the optional
// Mean and InvStdDev outputs have X's leading dims and 1 for each normalized dim.
#include "ops/nn/layer_norm.h"

#include <cmath>

#include "ops/attr_reader.h"
#include "ops/common.h"

namespace shrink::ops {
namespace {

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t) {
  AttrReader r(node);
  auto a = std::make_shared<LayerNormAttrs>();
  a->axis = r.get_int("axis", -1);
  a->epsilon = r.get_float("epsilon", 1e-5f);
  const int64_t stash = r.get_int("stash_type", 1);
  r.done();
  SHRINK_CHECK(stash == int64_t(DType::kFloat32) || stash == int64_t(DType::kBFloat16), node.label(),
               " stash_type ", stash, " is not float32 (1) or bfloat16 (16)");
  a->stash_type = DType(stash);
  return a;
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  require_float(node, in[0], 0);
  require_same_dtype(node, in, 0, 1);
  const int64_t axis = layer_norm_axis(node, in[0].shape);
  check_layer_norm_param(node, in[0].shape, axis, in[1], 1);
  if (in.size() > 2 && in[2].present()) {
    require_same_dtype(node, in, 0, 2);
    check_layer_norm_param(node, in[0].shape, axis, in[2], 2);
  }
  out[0] = ValueMeta{in[0].dtype, in[0].shape};
  Shape stat = in[0].shape;
  for (size_t d = size_t(axis); d < stat.size(); ++d) stat[d] = 1;
  for (size_t i = 1; i < out.size(); ++i)
    if (!node.outputs[i].empty()) out[i] = ValueMeta{node.attrs_as<LayerNormAttrs>().stash_type, stat};
  return true;
}

template <class S>
void store_stat(Tensor& t, int64_t i, double v) {
  if (t.defined()) static_cast<S*>(t.raw())[i] = S(float(v));
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const auto& at = node.attrs_as<LayerNormAttrs>();
  const Shape& xs = in[0].shape();
  const int64_t axis = layer_norm_axis(node, xs);
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= xs[size_t(d)];
  const int64_t n = numel(Shape(xs.begin() + axis, xs.end()));
  const bool has_b = in.size() > 2 && in[2].defined();
  const std::vector<int64_t> s_off = layer_norm_param_offsets(xs, axis, in[1].shape());
  const std::vector<int64_t> b_off = has_b ? layer_norm_param_offsets(xs, axis, in[2].shape()) : std::vector<int64_t>{};
  Tensor none;
  Tensor& mean_out = out.size() > 1 ? out[1] : none;
  Tensor& inv_out = out.size() > 2 ? out[2] : none;
  visit_dtype(in[0].dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_floating_point_v<compute_t<T>>) {
      const T* x = static_cast<const T*>(in[0].raw());
      const T* sc = static_cast<const T*>(in[1].raw());
      const T* bb = has_b ? static_cast<const T*>(in[2].raw()) : nullptr;
      T* y = static_cast<T*>(out[0].raw());
      parallel_for(outer, std::max<int64_t>(1, 8192 / std::max<int64_t>(n, 1)), [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
          const T* xr = x + r * n;
          T* yr = y + r * n;
          double sum = 0;
          for (int64_t j = 0; j < n; ++j) sum += double(xr[j]);
          const double mean = n ? sum / double(n) : 0.0;
          double sq = 0;
          for (int64_t j = 0; j < n; ++j) sq += (double(xr[j]) - mean) * (double(xr[j]) - mean);
          const double var = n ? sq / double(n) : 0.0;
          const double inv = 1.0 / std::sqrt(var + double(at.epsilon));
          for (int64_t j = 0; j < n; ++j) {
            double v = (double(xr[j]) - mean) * inv * double(sc[s_off[size_t(j)]]);
            if (bb) v += double(bb[b_off[size_t(j)]]);
            yr[j] = T(compute_t<T>(v));
          }
          if (at.stash_type == DType::kBFloat16) {
            store_stat<BFloat16>(mean_out, r, mean);
            store_stat<BFloat16>(inv_out, r, inv);
          } else {
            store_stat<float>(mean_out, r, mean);
            store_stat<float>(inv_out, r, inv);
          }
        }
      });
    } else {
      fail_input(node.label(), " needs a float input, got ", dtype_name(in[0].dtype()));
    }
  });
}

}  // namespace

int64_t layer_norm_axis(const ir::Node& node, const Shape& x) {
  const int64_t rank = int64_t(x.size());
  const int64_t axis = node.attrs_as<LayerNormAttrs>().axis;
  SHRINK_CHECK(axis >= -rank && axis < rank, node.label(), " axis ", axis, " is out of range for rank ", rank);
  return axis < 0 ? axis + rank : axis;
}

std::vector<int64_t> layer_norm_param_offsets(const Shape& x, int64_t axis, const Shape& p) {
  const Shape block(x.begin() + axis, x.end());
  BroadcastStrides bs(block, p);
  std::vector<int64_t> off(size_t(numel(block)));
  std::vector<int64_t> idx(block.size(), 0);
  for (size_t e = 0; e < off.size(); ++e) {
    int64_t o = 0;
    for (size_t d = 0; d < block.size(); ++d) o += idx[d] * bs.strides[d];
    off[e] = o;
    for (size_t d = block.size(); d-- > 0;) {
      if (++idx[d] < block[d]) break;
      idx[d] = 0;
    }
  }
  return off;
}

void check_layer_norm_param(const ir::Node& node, const Shape& x, int64_t axis, const ValueMeta& p, int i) {
  const size_t nd = x.size() - size_t(axis);
  bool ok = p.shape.size() <= nd;
  for (size_t d = 0; ok && d < p.shape.size(); ++d) {
    const int64_t pd = p.shape[p.shape.size() - 1 - d], xd = x[x.size() - 1 - d];
    ok = pd == 1 || pd == xd;
  }
  SHRINK_CHECK(ok, node.label(), " input ", i, " of shape ", shape_str(p.shape),
               " does not broadcast to the normalized shape of X ", shape_str(x), " from axis ", axis);
}

extern const OpSchema kLayerNormalization{.op_type = "LayerNormalization", .min_inputs = 2, .max_inputs = 3,
                                          .max_outputs = 3, .since_opset = 17, .parse = parse, .infer = infer,
                                          .compute = compute};

}  // namespace shrink::ops
