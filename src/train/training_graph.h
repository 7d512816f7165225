// The training graph of a classifier: the model in training mode, a loss, and the backward pass,
// with the trainable parameters and the BatchNorm running statistics turned into graph inputs
// (the trainer owns and updates them). Outputs: loss, logits, updated statistics, gradients.
#pragma once
#include <set>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "train/losses.h"

namespace shrink::train {

struct TrainGraphOptions {
  CrossEntropyConfig cross_entropy;
  // Distillation: loss = alpha * KL_T(student, teacher) * T^2 + (1 - alpha) * cross-entropy, with
  // the teacher's logits fed as an extra input.
  bool distill = false;
  float temperature = 4.f;
  float alpha = 0.5f;
  std::set<std::string> frozen;  // initializers not to train
  uint64_t seed = 0;             // dropout masks
  bool dropout = true;           // false: Dropout stays an identity while training
};

struct TrainingGraph {
  ir::Graph graph;
  std::string data_input, label_input, teacher_input, step_input;  // teacher/step may be ""
  std::string loss_output, logits_output;
  std::vector<std::string> params;        // trained initializers of the model (= graph inputs)
  std::vector<std::string> grad_outputs;  // aligned with params
  std::vector<std::string> states;        // BatchNorm running statistics (= graph inputs)
  std::vector<std::string> state_outputs; // aligned with states
};

// The float initializers that training updates: more than one element, not BatchNorm running
// statistics, not frozen, and reaching the first output. (Scalars are constants of the math.)
std::vector<std::string> trainable_parameters(const ir::Graph& model, const std::set<std::string>& frozen);

// `example_input` is the shape of one batch of the data input (dims only steer shape inference:
// the graph runs on any batch size).
TrainingGraph build_training_graph(const ir::Graph& model, const TrainGraphOptions& options, const Shape& example_input);

}  // namespace shrink::train
