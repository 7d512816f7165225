// com.shrink NhwcQConv and NhwcMaxPool (channels_last.h): QConv / MaxPool on channels-last tensors.
// Parsing binds the wrapped op with the node's attributes; inference and the reference kernel
// permute x to NCHW, run the wrapped op's and permute the result back, so the wrapped op stays the
// single definition of the math.
#include "ops/internal/channels_last.h"

#include <cstring>

#include "ops/common.h"

namespace shrink::ops {

Shape nhwc_shape(const Shape& s, const ir::Node& node) {
  SHRINK_CHECK(s.size() == 4, node.label(), " channels-last tensors have rank 4, got shape ", shape_str(s));
  return {s[0], s[2], s[3], s[1]};
}

Shape nchw_shape(const Shape& s, const ir::Node& node) {
  SHRINK_CHECK(s.size() == 4, node.label(), " channels-last tensors have rank 4, got shape ", shape_str(s));
  return {s[0], s[3], s[1], s[2]};
}

namespace {

// y[n, j, i] = x[n, i, j] for x viewed as [N, rows, cols] of `bytes`-wide elements.
Tensor permuted(const Tensor& x, const Shape& y_shape, int64_t rows, int64_t cols) {
  Tensor y(x.dtype(), y_shape);
  const size_t bytes = dtype_size(x.dtype());
  const auto* src = static_cast<const uint8_t*>(x.raw());
  auto* dst = static_cast<uint8_t*>(y.raw());
  const int64_t n = rows * cols == 0 ? 0 : x.numel() / (rows * cols);
  parallel_for(n * rows, 64, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const int64_t img = r / rows, i = r % rows;
      for (int64_t j = 0; j < cols; ++j)
        std::memcpy(dst + ((img * cols + j) * rows + i) * bytes, src + ((img * rows + i) * cols + j) * bytes, bytes);
    }
  });
  return y;
}

}  // namespace

Tensor to_nhwc(const Tensor& x, const ir::Node& node) {
  const Shape s = nhwc_shape(x.shape(), node);
  return permuted(x, s, x.dim(1), x.dim(2) * x.dim(3));
}

Tensor from_nhwc(const Tensor& x, const ir::Node& node) {
  const Shape s = nchw_shape(x.shape(), node);
  return permuted(x, s, x.dim(1) * x.dim(2), x.dim(3));
}

namespace {

std::shared_ptr<const ir::OpAttrs> parse(const ir::Node& node, int64_t opset) {
  auto a = std::make_shared<ChannelsLastAttrs>();
  a->inner = node;
  const std::string_view wrapped = std::string_view(node.op_type).substr(std::string_view("Nhwc").size());
  a->inner.op_type = std::string(wrapped);
  a->inner.domain = wrapped == "QConv" ? "com.shrink" : "";
  a->inner.typed = nullptr;
  bind(a->inner, opset);
  return a;
}

bool infer(const ir::Node& node, std::span<const ValueMeta> in, std::vector<ValueMeta>& out) {
  const auto& a = node.attrs_as<ChannelsLastAttrs>();
  std::vector<ValueMeta> plain(in.begin(), in.end());
  plain[0] = {in[0].dtype, nchw_shape(in[0].shape, node), nullptr};
  std::vector<ValueMeta> inner_out(a.inner.outputs.size());
  if (!schema_of(a.inner).infer(a.inner, plain, inner_out)) return false;
  out[0] = {inner_out[0].dtype, nhwc_shape(inner_out[0].shape, node)};
  return true;
}

void compute(const ir::Node& node, std::span<const Tensor> in, std::span<Tensor> out) {
  const auto& a = node.attrs_as<ChannelsLastAttrs>();
  std::vector<Tensor> plain(in.begin(), in.end());
  plain[0] = from_nhwc(in[0], node);
  out[0] = to_nhwc(run_reference(a.inner, plain)[0], node);
}

void validate(const ir::Node& node, std::span<const Tensor* const> constants) {
  const auto& inner = node.attrs_as<ChannelsLastAttrs>().inner;
  if (const auto v = schema_of(inner).validate) v(inner, constants);
}

}  // namespace

extern const OpSchema kNhwcQConv{.op_type = "NhwcQConv", .domain = "com.shrink", .min_inputs = 5, .max_inputs = 9,
                                 .parse = parse, .infer = infer, .compute = compute, .validate = validate};
extern const OpSchema kNhwcMaxPool{.op_type = "NhwcMaxPool", .domain = "com.shrink", .parse = parse, .infer = infer,
                                   .compute = compute};

}  // namespace shrink::ops
