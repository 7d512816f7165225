// Session planning and execution.
#include "runtime/session.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "core/threads.h"
#include "passes/passes.h"
#include "runtime/kernel_table.h"
#include "runtime/onednn/context.h"

namespace shrink::runtime {

struct Session::Step {
  const ir::Node* node;
  const ops::OpSchema* schema;  // looked up once, not per run
  std::vector<int> in_slots;   // -1 for absent optional inputs
  std::vector<int> out_slots;  // -1 for unused outputs
  std::vector<int> release;    // slots whose last use is this step
  // Kernels by the input shapes they were chosen for (most recent first); a few are kept so that
  // alternating batch sizes do not rebuild primitives and re-pack weights.
  std::vector<std::pair<std::vector<Shape>, std::unique_ptr<Kernel>>> kernels;
  Kernel* kernel = nullptr;
  double total_ms = 0;
  int64_t runs = 0;
};

struct Session::Specialized {
  std::vector<passes::InputSignature> signature;
  std::unique_ptr<Session> session;  // null: this signature does not specialize
};

Session::Session(ir::Graph graph, SessionOptions options) : graph_(std::move(graph)), options_(options) {
  if (options_.optimize) {
    graph_ = passes::optimize_for_runtime(std::move(graph_));
    // Channel-blocked activations between oneDNN convolutions and pools (not for the reference
    // oracle, nor when the oneDNN kernels are skipped).
    const auto& skip = options_.skip_backends;
    // Likewise channels-last int8 activations between oneDNN's int8 convolutions and pools.
    if (!options_.reference_only && std::find(skip.begin(), skip.end(), "onednn") == skip.end()) {
      graph_ = passes::channels_last_int8(std::move(graph_));
      graph_ = passes::block_layout(std::move(graph_), onednn::preferred_channel_block());
    }
  }
  if (options_.optimize && !options_.reference_only)
    for (const auto& n : graph_.nodes)
      specialize_ = specialize_ || (n.domain.empty() && (n.op_type == "Shape" || n.op_type == "Size"));
  plan();
}

Session::~Session() = default;

void Session::plan() {
  std::map<std::string, int> slot;
  auto slot_of = [&](const std::string& name) {
    auto [it, inserted] = slot.emplace(name, int(slot.size()));
    return it->second;
  };
  for (const auto& [name, t] : graph_.initializers) {
    int s = slot_of(name);
    if (size_t(s) >= constants_.size()) constants_.resize(size_t(s) + 1);
    constants_[size_t(s)] = t;
    if (t.buffer()) constant_buffers_.insert(t.buffer().get());
  }
  for (const auto& in : graph_.inputs) input_slots_.push_back(slot_of(in.name));
  std::map<int, size_t> last_use;
  for (const auto& n : graph_.nodes) {
    Step st;
    st.node = &n;
    st.schema = &ops::schema_of(n);
    for (const auto& i : n.inputs) {
      int s = i.empty() ? -1 : slot_of(i);
      st.in_slots.push_back(s);
      if (s >= 0) last_use[s] = steps_.size();
    }
    for (const auto& o : n.outputs) {
      int s = o.empty() ? -1 : slot_of(o);
      st.out_slots.push_back(s);
      if (s >= 0) last_use.emplace(s, steps_.size());  // unused outputs die where produced
    }
    steps_.push_back(std::move(st));
  }
  for (const auto& o : graph_.outputs) {
    output_slots_.push_back(slot_of(o.name));
    last_use.erase(slot_of(o.name));
  }
  num_slots_ = slot.size();
  constants_.resize(num_slots_);
  for (const auto& [s, step] : last_use)
    if (!constants_[size_t(s)].defined()) steps_[step].release.push_back(s);
}

void check_input(const ir::ValueInfo& info, const Tensor& t) {
  SHRINK_CHECK(t.defined(), "input '", info.name, "' is missing");
  SHRINK_CHECK(info.dtype == DType::kUndefined || t.dtype() == info.dtype, "input '", info.name, "' must be ",
               dtype_name(info.dtype), ", got ", dtype_name(t.dtype()));
  if (!info.dims) return;
  SHRINK_CHECK(t.rank() == int64_t(info.dims->size()), "input '", info.name, "' must have rank ",
               info.dims->size(), ", got shape ", shape_str(t.shape()));
  for (size_t i = 0; i < info.dims->size(); ++i)
    SHRINK_CHECK(!(*info.dims)[i].fixed() || (*info.dims)[i].value == t.dim(int64_t(i)), "input '", info.name,
                 "' dim ", i, " must be ", (*info.dims)[i].value, ", got shape ", shape_str(t.shape()));
}

Session* Session::specialized_for(const std::vector<Tensor>& inputs) {
  auto matches = [&](const std::vector<passes::InputSignature>& sig) {  // compared in place: no copies per run
    for (size_t k = 0; k < inputs.size(); ++k)
      if (sig[k].dtype != inputs[k].dtype() || sig[k].shape != inputs[k].shape()) return false;
    return true;
  };
  for (size_t i = 0; i < specialized_.size(); ++i)
    if (matches(specialized_[i].signature)) {
      std::rotate(specialized_.begin(), specialized_.begin() + long(i), specialized_.begin() + long(i) + 1);
      return specialized_[0].session.get();
    }
  std::vector<passes::InputSignature> sig;
  for (const auto& t : inputs) sig.push_back({t.dtype(), t.shape()});
  Specialized sp{sig, nullptr};
  // Inputs that do not fit the graph, or shape arithmetic that fails for them, are left to the
  // general path, which reports the problem as it always does.
  bool fits = true;
  for (size_t i = 0; i < inputs.size() && fits; ++i) {
    try {
      check_input(graph_.inputs[i], inputs[i]);
    } catch (const Error&) {
      fits = false;
    }
  }
  if (fits) {
    try {
      if (auto g = passes::specialize_shapes(graph_, sig)) {
        SessionOptions o = options_;
        o.optimize = false;  // graph_ is optimized already
        sp.session = std::make_unique<Session>(std::move(*g), o);
      }
    } catch (const Error&) {
      sp.session.reset();
    }
  }
  constexpr size_t kSignatures = 4;  // as the kernels kept per step: alternating batch sizes stay cheap
  if (specialized_.size() == kSignatures) specialized_.pop_back();
  specialized_.insert(specialized_.begin(), std::move(sp));
  return specialized_[0].session.get();
}

std::vector<Tensor> Session::run(const std::vector<Tensor>& inputs) {
  SHRINK_CHECK(inputs.size() == graph_.inputs.size(), "model takes ", graph_.inputs.size(), " inputs, got ",
               inputs.size());
  active_ = specialize_ ? specialized_for(inputs) : nullptr;
  return active_ ? active_->run(inputs) : run_steps(inputs);
}

std::vector<Tensor> Session::run_steps(const std::vector<Tensor>& inputs) {
  set_num_threads(options_.threads);
  set_blas_threads(options_.threads);
  // Run values by slot; constants are read from constants_ in place (not copied into each run).
  std::vector<Tensor> values(num_slots_);
  for (size_t i = 0; i < inputs.size(); ++i) {
    check_input(graph_.inputs[i], inputs[i]);
    values[size_t(input_slots_[i])] = inputs[i];
  }
  std::vector<Tensor> in, out;
  std::vector<ops::ValueMeta> metas;
  for (auto& st : steps_) {
    const ir::Node& node = *st.node;
    in.assign(st.in_slots.size(), Tensor());
    metas.assign(st.in_slots.size(), ops::ValueMeta());
    for (size_t i = 0; i < st.in_slots.size(); ++i) {
      if (st.in_slots[i] < 0) continue;
      const Tensor& v = values[size_t(st.in_slots[i])];
      in[i] = v.defined() ? v : constants_[size_t(st.in_slots[i])];
      SHRINK_ASSERT(in[i].defined(), node.label(), " input not computed");
      metas[i] = {in[i].dtype(), in[i].shape(), &in[i]};
    }
    st.kernel = nullptr;
    for (size_t k = 0; k < st.kernels.size() && !st.kernel; ++k) {
      const auto& shapes = st.kernels[k].first;
      bool same = true;
      for (size_t i = 0; i < in.size() && same; ++i) same = in[i].shape() == shapes[i];
      if (same) {
        if (k > 0) std::swap(st.kernels[0], st.kernels[k]);
        st.kernel = st.kernels[0].second.get();
      }
    }
    if (!st.kernel) {
      // Choose with constant values only, so the choice holds for any later run. A kernel may keep
      // these metas (run-time epilogues read constant scales and biases on every run), so a constant's
      // value points at the session's own copy, never at this run's `in` (reassigned every step).
      std::vector<ops::ValueMeta> sel = metas;
      for (size_t i = 0; i < sel.size(); ++i) {
        if (st.in_slots[i] < 0) continue;
        const Tensor& c = constants_[size_t(st.in_slots[i])];
        sel[i].value = c.defined() ? &c : nullptr;
      }
      std::vector<Shape> shapes;
      for (const auto& t : in) shapes.push_back(t.shape());
      constexpr size_t kKernelsPerStep = 4;
      if (st.kernels.size() == kKernelsPerStep) st.kernels.pop_back();
      st.kernels.insert(st.kernels.begin(), {std::move(shapes), select_kernel(node, sel, options_.reference_only, options_.skip_backends)});
      st.kernel = st.kernels[0].second.get();
    }
    out.assign(st.out_slots.size(), Tensor());
    if (!st.kernel->allocates_outputs()) {
      std::vector<ops::ValueMeta> om(node.outputs.size());
      const bool known = st.schema->infer(node, metas, om);
      SHRINK_ASSERT(known, node.label(), " could not infer output shapes with all values known");
      const bool zero = st.kernel->needs_zeroed_outputs();
      for (size_t i = 0; i < om.size(); ++i) {
        if (!om[i].present()) continue;
        size_t bytes = size_t(checked_numel(om[i].shape)) * dtype_size(om[i].dtype);
        SHRINK_CHECK(bytes <= kMaxTensorBytes, node.label(), " output ", i, " of shape ", shape_str(om[i].shape),
                     " is too large");
        std::shared_ptr<Buffer> buf;
        auto it = pool_.lower_bound(bytes);
        if (it != pool_.end() && it->first <= bytes * 2 + 4096) {
          buf = std::move(it->second);
          pool_.erase(it);
        } else {
          buf = std::make_shared<Buffer>(bytes);
        }
        if (zero && bytes) std::memset(buf->data, 0, bytes);
        out[i] = Tensor(om[i].dtype, om[i].shape, std::move(buf));
      }
    }
    if (options_.profile) {
      auto t0 = std::chrono::steady_clock::now();
      st.kernel->run(in, out);
      st.total_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      ++st.runs;
    } else {
      st.kernel->run(in, out);
    }
    for (size_t i = 0; i < st.out_slots.size(); ++i)
      if (st.out_slots[i] >= 0) values[size_t(st.out_slots[i])] = std::move(out[i]);
    in.clear();
    for (int s : st.release) {
      Tensor dead = std::move(values[size_t(s)]);
      values[size_t(s)] = Tensor();
      if (dead.buffer() && dead.buffer().use_count() == 1) pool_.emplace(dead.buffer()->bytes, dead.buffer());
    }
  }
  std::vector<Tensor> result;
  for (int s : output_slots_) {
    Tensor t = values[size_t(s)].defined() ? values[size_t(s)] : constants_[size_t(s)];
    // An output that shares a constant's storage (the constant itself, or a view of it) is a copy:
    // a caller writing into it must not change what later runs return.
    if (t.buffer() && constant_buffers_.count(t.buffer().get())) t = t.clone();
    result.push_back(std::move(t));
  }
  return result;
}

std::vector<std::pair<std::string, std::string>> Session::kernel_names() const {
  if (active_) return active_->kernel_names();
  std::vector<std::pair<std::string, std::string>> v;
  for (const auto& st : steps_)
    v.emplace_back(st.node->name, st.kernel ? std::string(st.kernel->name()) : std::string("-"));
  return v;
}

std::vector<StepProfile> Session::profile() const {
  if (active_) return active_->profile();
  std::vector<StepProfile> v;
  if (!options_.profile) return v;
  for (const auto& st : steps_)
    v.push_back({st.node->name, st.node->op_type, st.kernel ? std::string(st.kernel->name()) : "-", st.total_ms, st.runs});
  return v;
}

}  // namespace shrink::runtime
