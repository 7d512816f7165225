// `shrink data synth` and `shrink data info` through cli_main: outputs, exit codes, and no file
// written when the arguments are bad.
#include <gtest/gtest.h>

#include "cli/cli_main.h"
#include "train/data/dataset.h"
#include "train_data_util.h"

namespace shrink {
namespace {

using test::data_tmp;

TEST(DataCli, SynthWritesBothSplitsAndInfoReadsThem) {
  auto dir = data_tmp("cli_synth");
  std::string out = (dir / "synth").string();
  ASSERT_EQ(cli::cli_main({"data", "synth", "--train", "30", "--test", "20", "--seed", "3", "-o", out}), 0);
  train::Dataset tr = train::load_dataset(out + "/train.npz"), te = train::load_dataset(out + "/test.npz");
  EXPECT_EQ(tr.x.shape(), (Shape{30, 3, 32, 32}));
  EXPECT_EQ(te.x.shape(), (Shape{20, 3, 32, 32}));
  EXPECT_FALSE(tr.x.reshaped({30 * 3072}).bit_equal(te.x.reshaped({20 * 3072})));
  EXPECT_EQ(cli::cli_main({"data", "info", out + "/train.npz"}), 0);
  EXPECT_EQ(cli::cli_main({"data", "info", out + "/test.npz", "--json"}), 0);
  ASSERT_EQ(cli::cli_main({"data", "synth", "--task", "sequences", "--train", "16", "--test", "8", "-o", out + "_seq"}), 0);
  EXPECT_EQ(train::load_dataset(out + "_seq/train.npz").x.dtype(), DType::kInt64);
  ASSERT_EQ(cli::cli_main({"data", "synth", "--size", "28", "--channels", "1", "--train", "10", "--test", "10", "-o",
                           out + "_g"}),
            0);
  EXPECT_EQ(train::load_dataset(out + "_g/test.npz").x.shape(), (Shape{10, 1, 28, 28}));
  test::put(dir / "rows.csv", "1,2,3,4,0\n5,6,7,8,1\n");
  EXPECT_EQ(cli::cli_main({"data", "info", (dir / "rows.csv").string(), "--input-shape", "1,2,2", "--json"}), 0);
  EXPECT_EQ(cli::cli_main({"data", "info", (dir / "rows.csv").string(), "--input-shape", "3,2"}), 2);
  EXPECT_EQ(cli::cli_main({"data", "info", (dir / "rows.csv").string(), "--label-column", "none"}), 0);
  test::put(dir / "big_label.csv", "1,2000000000\n");  // the class histogram must not size by label
  EXPECT_EQ(cli::cli_main({"data", "info", (dir / "big_label.csv").string(), "--json"}), 0);
}

TEST(DataCli, BadArgumentsExitTwoAndWriteNothing) {
  auto dir = data_tmp("cli_bad");
  std::string out = (dir / "o").string();
  EXPECT_EQ(cli::cli_main({"data", "synth", "--task", "audio", "-o", out}), 2);
  EXPECT_EQ(cli::cli_main({"data", "synth", "--size", "31", "-o", out}), 2);
  EXPECT_EQ(cli::cli_main({"data", "synth", "--channels", "2", "-o", out}), 2);
  EXPECT_EQ(cli::cli_main({"data", "synth", "--train", "0", "-o", out}), 2);
  EXPECT_EQ(cli::cli_main({"data", "synth", "--train", "10"}), 2);  // no -o
  EXPECT_EQ(cli::cli_main({"data", "synth", "--task", "sequences", "--classes", "20", "-o", out}), 2);
  EXPECT_FALSE(test::fs::exists(out));
  EXPECT_EQ(cli::cli_main({"data"}), 2);
  EXPECT_EQ(cli::cli_main({"data", "info", (dir / "missing.npz").string()}), 2);
  test::put(dir / "bad.csv", "1,2,x\n");
  EXPECT_EQ(cli::cli_main({"data", "info", (dir / "bad.csv").string()}), 2);
  EXPECT_EQ(cli::cli_main({"data", "info", (dir / "bad.csv").string(), "--format", "tfrecord"}), 2);
  // An output path that is a file: the folder cannot be created.
  test::put(dir / "file", "x");
  EXPECT_EQ(cli::cli_main({"data", "synth", "--train", "2", "--test", "2", "-o", (dir / "file").string()}), 2);
}

}  // namespace
}  // namespace shrink
