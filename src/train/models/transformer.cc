// transformer: encoder classifier over token ids [N, L]: token embedding (Gather) + learned position
// embedding, Dropout, depth x encoder layers (multi-head self-attention from MatMul/Reshape/Transpose/
// Softmax, FFN 4*width with exact GELU, residual Adds, Dropout 0.1; pre-LN by default, post-LN as in
// nn.TransformerEncoderLayer's default), mean over the sequence, Linear. width = d_model.
// Names: embed.token.weight, embed.position, layer<i>.{norm1,attn.{q,k,v,out},norm2,ffn.{fc1,fc2}}, norm, fc.
#include <cmath>

#include "core/error.h"
#include "train/models/arch.h"

namespace shrink::train {
namespace {

using Ints = std::vector<int64_t>;
constexpr int64_t kMaxLayers = 48;
constexpr int64_t kMaxModelWidth = 4096;
constexpr int64_t kFfnMultiplier = 4;
constexpr int64_t kMinHeadDim = 16;
constexpr float kDropout = 0.1f;
// Position embeddings start at N(0, 0.02^2) (BERT, ViT); token embeddings at nn.Embedding's N(0, 1).
constexpr float kPositionStd = 0.02f;

void resolve(ModelSpec& s) {
  SHRINK_CHECK(s.depth <= kMaxLayers, "transformer: depth (encoder layers) must be at most ", kMaxLayers, ", got ", s.depth);
  SHRINK_CHECK(s.width <= kMaxModelWidth, "transformer: width (d_model) must be at most ", kMaxModelWidth, ", got ", s.width);
  if (s.heads == 0) {  // the most heads (up to 8) that keep a head at least 16 wide
    s.heads = 1;
    for (int64_t h : {8, 4, 2})
      if (s.width % h == 0 && s.width / h >= kMinHeadDim) {
        s.heads = h;
        break;
      }
  }
  SHRINK_CHECK(s.heads <= s.width && s.width % s.heads == 0, "transformer: heads (", s.heads,
               ") must divide width (", s.width, ")");
}

// [N, L, D] -> [N, H, L, dk] (or [N, H, dk, L] for keys, ready for Q K^T).
std::string split_heads(LayerBuilder& b, const std::string& x, const ModelSpec& s, bool keys, const std::string& name) {
  auto shape = b.constant("attn.split_shape", Tensor::from_vector<int64_t>({0, -1, s.heads, s.width / s.heads}, {4}));
  auto y = b.op("Reshape", {x, shape}, {}, name + ".split");
  return b.op("Transpose", {y}, {{"perm", keys ? Ints{0, 2, 3, 1} : Ints{0, 2, 1, 3}}}, name + ".heads");
}

std::string self_attention(LayerBuilder& b, const std::string& x, const ModelSpec& s, const std::string& name) {
  const int64_t d = s.width;
  auto q = split_heads(b, b.linear_matmul(x, d, d, name + ".q"), s, false, name + ".q");
  auto k = split_heads(b, b.linear_matmul(x, d, d, name + ".k"), s, true, name + ".k");
  auto v = split_heads(b, b.linear_matmul(x, d, d, name + ".v"), s, false, name + ".v");
  auto scores = b.op("MatMul", {q, k}, {}, name + ".scores");
  const float scale = std::sqrt(float(d / s.heads));
  scores = b.op("Div", {scores, b.scalar("attn.sqrt_dk", scale)}, {}, name + ".scale");
  auto weights = b.dropout(b.op("Softmax", {scores}, {{"axis", int64_t(-1)}}, name + ".softmax"), kDropout,
                           name + ".dropout");
  auto context = b.op("MatMul", {weights, v}, {}, name + ".context");
  context = b.op("Transpose", {context}, {{"perm", Ints{0, 2, 1, 3}}}, name + ".merge_heads");
  auto shape = b.constant("attn.merge_shape", Tensor::from_vector<int64_t>({0, -1, d}, {3}));
  context = b.op("Reshape", {context, shape}, {}, name + ".merge");
  return b.linear_matmul(context, d, d, name + ".out");
}

std::string feed_forward(LayerBuilder& b, const std::string& x, const ModelSpec& s, const std::string& name) {
  const int64_t hidden = kFfnMultiplier * s.width;
  auto h = b.gelu(b.linear_matmul(x, s.width, hidden, name + ".fc1"), name + ".gelu");
  h = b.dropout(h, kDropout, name + ".dropout");
  return b.linear_matmul(h, hidden, s.width, name + ".fc2");
}

std::string encoder_layer(LayerBuilder& b, std::string x, const ModelSpec& s, const std::string& name) {
  const int64_t d = s.width;
  if (s.post_norm) {
    auto a = b.dropout(self_attention(b, x, s, name + ".attn"), kDropout, name + ".dropout1");
    x = b.layer_norm(b.op("Add", {x, a}, {}, name + ".add1"), d, name + ".norm1");
    auto f = b.dropout(feed_forward(b, x, s, name + ".ffn"), kDropout, name + ".dropout2");
    return b.layer_norm(b.op("Add", {x, f}, {}, name + ".add2"), d, name + ".norm2");
  }
  auto a = self_attention(b, b.layer_norm(x, d, name + ".norm1"), s, name + ".attn");
  x = b.op("Add", {x, b.dropout(a, kDropout, name + ".dropout1")}, {}, name + ".add1");
  auto f = feed_forward(b, b.layer_norm(x, d, name + ".norm2"), s, name + ".ffn");
  return b.op("Add", {x, b.dropout(f, kDropout, name + ".dropout2")}, {}, name + ".add2");
}

std::string build(LayerBuilder& b, const ModelSpec& s, const std::string& input) {
  const int64_t length = s.input[0], d = s.width;
  auto token = b.normal_param("embed.token.weight", {s.vocab, d}, 1.f);
  auto position = b.normal_param("embed.position", {length, d}, kPositionStd);
  std::string x = b.op("Gather", {token, input}, {{"axis", int64_t(0)}}, "embed.token");
  x = b.op("Add", {x, position}, {}, "embed.add_position");
  x = b.dropout(x, kDropout, "embed.dropout");
  for (int64_t i = 0; i < s.depth; ++i) x = encoder_layer(b, x, s, "layer" + std::to_string(i));
  if (!s.post_norm) x = b.layer_norm(x, d, "norm");
  x = b.op("ReduceMean", {x}, {{"axes", Ints{1}}, {"keepdims", int64_t(0)}}, "pool");
  return b.linear(x, d, s.classes, "fc");
}

}  // namespace

extern const ArchDef kTransformer{
    .info = {.name = "transformer",
             .summary = "encoder classifier over int64 token ids [N, L]: embeddings, self-attention, GELU FFN",
             .input_kind = InputKind::kTokens,
             .default_input = {32},
             .default_width = 64,
             .default_depth = 2,
             .width_meaning = "d_model (FFN 4*width; heads: --heads or up to 8 of width >= 16)",
             .depth_meaning = "encoder layers"},
    .resolve = resolve,
    .build = build};

}  // namespace shrink::train
