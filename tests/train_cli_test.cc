// `shrink train` and `shrink eval` through cli_main: the whole flow on the synthetic set (synth ->
// init -> train -> eval -> resume), JSON summaries, and bad input (dataset that does not fit the
// model, labels out of range, nothing to train, NaN loss) exiting 2 without writing the output.
#include <gtest/gtest.h>

#include <cmath>

#include "cli/cli_main.h"
#include "core/file_io.h"
#include "onnx/model_io.h"
#include "train/data/dataset.h"
#include "train/data/synth.h"
#include "train_data_util.h"

namespace shrink {
namespace {

using test::data_tmp;
using test::fs::exists;

struct Flow {
  std::string dir, data, model;
};

Flow make_flow(const std::string& name) {
  Flow f;
  f.dir = data_tmp(name).string();
  f.data = f.dir + "/synth";
  f.model = f.dir + "/cnn.onnx";
  EXPECT_EQ(cli::cli_main({"data", "synth", "--train", "128", "--test", "64", "--size", "28", "--channels", "1", "-o",
                           f.data}),
            0);
  EXPECT_EQ(cli::cli_main({"init", "cnn-small", "--input", "1x28x28", "--width", "8", "--depth", "2", "-o", f.model}),
            0);
  return f;
}

TEST(TrainCli, TrainEvalResume) {
  Flow f = make_flow("train_flow");
  const std::string out = f.dir + "/trained.onnx";
  ASSERT_EQ(cli::cli_main({"train", f.model, "--data", f.data + "/train.npz", "--val", f.data + "/test.npz",
                           "--epochs", "2", "--batch", "32", "--lr", "0.05", "--json", "--loss-log",
                           f.dir + "/loss.csv", "-o", out}),
            0);
  EXPECT_TRUE(exists(out));
  EXPECT_TRUE(exists(out + ".ckpt"));
  EXPECT_TRUE(exists(f.dir + "/loss.csv"));
  EXPECT_EQ(cli::cli_main({"eval", out, "--data", f.data + "/test.npz"}), 0);
  EXPECT_EQ(cli::cli_main({"eval", out, "--data", f.data + "/test.npz", "--json"}), 0);
  // The checkpoint is itself a runnable model, and training resumes from it.
  EXPECT_EQ(cli::cli_main({"eval", out + ".ckpt", "--data", f.data + "/test.npz"}), 0);
  ASSERT_EQ(cli::cli_main({"train", f.model, "--data", f.data + "/train.npz", "--epochs", "3", "--batch", "32",
                           "--resume", out + ".ckpt", "--no-checkpoint", "-o", f.dir + "/resumed.onnx"}),
            0);
  // Optimizers and schedules by name; gradients saved.
  EXPECT_EQ(cli::cli_main({"train", f.model, "--data", f.data + "/train.npz", "--optimizer", "adamw", "--schedule",
                           "step", "--step-size", "2", "--warmup", "1", "--clip-norm", "1", "--label-smoothing", "0.1",
                           "--augment", "crop,flip", "--max-steps", "3", "--no-checkpoint", "--save-gradients",
                           f.dir + "/grads", "-o", f.dir + "/adamw.onnx"}),
            0);
  EXPECT_TRUE(exists(f.dir + "/grads/fc.weight.npy"));
}

TEST(TrainCli, BadInputExitsTwoAndWritesNothing) {
  Flow f = make_flow("train_bad");
  const std::string out = f.dir + "/never.onnx";
  auto train = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"train", f.model, "-o", out, "--no-checkpoint"};
    args.insert(args.end(), extra.begin(), extra.end());
    return cli::cli_main(args);
  };
  // A dataset whose samples do not fit the model (3x32x32 images for a 1x28x28 model).
  ASSERT_EQ(cli::cli_main({"data", "synth", "--train", "8", "--test", "8", "-o", f.dir + "/big"}), 0);
  EXPECT_EQ(train({"--data", f.dir + "/big/train.npz"}), 2);
  // Labels out of range for a 10-class model.
  train::Dataset d = train::load_dataset(f.data + "/train.npz");
  d.y.data<int64_t>()[3] = 12;
  train::save_npz(f.dir + "/labels.npz", d);
  EXPECT_EQ(train({"--data", f.dir + "/labels.npz"}), 2);
  EXPECT_EQ(cli::cli_main({"eval", f.model, "--data", f.dir + "/labels.npz"}), 2);
  // Missing / garbage files, bad flags.
  EXPECT_EQ(train({"--data", f.dir + "/missing.npz"}), 2);
  test::put(f.dir + "/garbage.npz", "PK\x03\x04 not really");
  EXPECT_EQ(train({"--data", f.dir + "/garbage.npz"}), 2);
  EXPECT_EQ(train({"--data", f.data + "/train.npz", "--optimizer", "rmsprop"}), 2);
  EXPECT_EQ(train({"--data", f.data + "/train.npz", "--lr", "-1"}), 2);
  EXPECT_EQ(train({"--data", f.data + "/train.npz", "--freeze", "no.such.weight"}), 2);
  EXPECT_EQ(train({"--data", f.data + "/train.npz", "--resume", f.model}), 2);  // not a checkpoint
  EXPECT_FALSE(exists(out));
}

TEST(TrainCli, NothingToTrainIsBadInput) {
  auto dir = data_tmp("train_nothing").string();
  ir::Graph g;
  g.opsets = {{"", 17}};
  g.inputs.push_back(ir::ValueInfo{"x", DType::kFloat32, std::vector<ir::Dim>{{-1, "N"}, {4}}});
  g.nodes.push_back(ir::Node{.name = "relu", .op_type = "Relu", .inputs = {"x"}, .outputs = {"y"}});
  g.outputs.push_back(ir::ValueInfo{"y", DType::kFloat32, std::vector<ir::Dim>{{-1, "N"}, {4}}});
  onnx_io::save_model(g, dir + "/relu.onnx");
  train::Dataset d{Tensor(DType::kFloat32, {6, 4}), Tensor::from_vector<int64_t>({0, 1, 2, 3, 0, 1}, {6})};
  train::save_npz(dir + "/d.npz", d);
  EXPECT_EQ(cli::cli_main({"train", dir + "/relu.onnx", "--data", dir + "/d.npz", "-o", dir + "/o.onnx"}), 2);
  EXPECT_FALSE(exists(dir + "/o.onnx"));
}

TEST(TrainCli, NonFiniteStepKeepsTheLastGoodCheckpoint) {
  Flow f = make_flow("train_nan");
  const std::string ckpt = f.dir + "/run.ckpt", out = f.dir + "/run.onnx";
  ASSERT_EQ(cli::cli_main({"train", f.model, "--data", f.data + "/train.npz", "--epochs", "1", "--batch", "32",
                           "--checkpoint", ckpt, "-o", out}),
            0);
  const std::string good = read_file(ckpt);
  // Continue on data with a NaN pixel: the step that meets it stops training, exit 2.
  train::Dataset d = train::load_dataset(f.data + "/train.npz");
  d.x.data<float>()[5 * 28 * 28 + 100] = NAN;
  train::save_npz(f.dir + "/poisoned.npz", d);
  EXPECT_EQ(cli::cli_main({"train", f.model, "--data", f.dir + "/poisoned.npz", "--epochs", "3", "--batch", "32",
                           "--resume", ckpt, "--checkpoint", ckpt, "-o", f.dir + "/never.onnx"}),
            2);
  EXPECT_FALSE(exists(f.dir + "/never.onnx"));
  EXPECT_EQ(read_file(ckpt), good);  // the checkpoint of the last good epoch is intact
}

}  // namespace
}  // namespace shrink
