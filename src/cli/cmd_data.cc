// `shrink data`: `synth` writes the built-in synthetic datasets as train.npz / test.npz, `info`
// describes any dataset file shrink can read (format, size, sample shape, dtype, classes).
#include <cstdio>
#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "train/data/dataset.h"
#include "train/data/synth.h"

namespace shrink::cli {
namespace {

struct SynthArgs {
  std::string task = "images", out;
  int64_t train = 10000, test = 2000, size = 32, channels = 3, length = 32, vocab = 64, classes = 8;
  uint64_t seed = 0;
};

int synth(const SynthArgs& a) {
  namespace fs = std::filesystem;
  auto make = [&](int64_t n, std::string_view split) {
    uint64_t seed = train::derive_seed(a.seed, split);
    if (a.task == "images") return train::synth_images(n, seed, {a.size, a.channels});
    return train::synth_sequences(n, seed, {a.length, a.vocab, a.classes});
  };
  // Generate both splits before touching the disk, so bad options leave nothing behind.
  train::Dataset tr = make(a.train, "train"), te = make(a.test, "test");
  std::error_code ec;
  fs::create_directories(a.out, ec);
  SHRINK_CHECK(!ec && fs::is_directory(a.out), a.out, ": cannot create folder", ec ? ": " + ec.message() : "");
  for (const auto& [name, d] : {std::pair{"train.npz", &tr}, std::pair{"test.npz", &te}}) {
    std::string path = (fs::path(a.out) / name).string();
    train::save_npz(path, *d);
    std::printf("wrote %s: %s x %s %s, %lld classes\n", path.c_str(), std::to_string(d->size()).c_str(),
                shape_str(d->sample_shape()).c_str(), std::string(dtype_name(d->x.dtype())).c_str(),
                (long long)d->num_classes());
  }
  return 0;
}

struct InfoArgs {
  std::string path, format = "auto", labels, label_column;
  std::vector<int64_t> input_shape;
  bool json = false;
};

int info(const InfoArgs& a) {
  const std::string& path = a.path;
  bool json = a.json;
  train::LoadOptions o;
  o.format = train::parse_format(a.format);
  o.labels_path = a.labels;
  o.label_column = a.label_column;
  o.input_shape = a.input_shape;
  train::DatasetFormat f = o.format == train::DatasetFormat::kAuto ? train::detect_format(path) : o.format;
  train::Dataset d = train::load_dataset(path, o);
  // A map, not a vector by label: labels can be as large as 2^31 in a valid file.
  std::map<int64_t, int64_t> hist;
  if (d.labelled())
    for (int64_t i = 0; i < d.size(); ++i) ++hist[d.y.data<int64_t>()[i]];
  if (json) {
    nlohmann::json j{{"path", path},
                     {"format", train::format_name(f)},
                     {"samples", d.size()},
                     {"sample_shape", d.sample_shape()},
                     {"dtype", dtype_name(d.x.dtype())},
                     {"labelled", d.labelled()},
                     {"classes", d.num_classes()},
                     {"class_counts", nlohmann::json::object()}};
    for (const auto& [label, count] : hist) j["class_counts"][std::to_string(label)] = count;
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("%s: %s dataset, %lld samples of %s %s\n", path.c_str(), train::format_name(f).c_str(),
              (long long)d.size(), shape_str(d.sample_shape()).c_str(), std::string(dtype_name(d.x.dtype())).c_str());
  if (!d.labelled()) {
    std::printf("unlabelled\n");
    return 0;
  }
  std::printf("%lld classes (label:count):", (long long)d.num_classes());
  for (const auto& [label, count] : hist) std::printf(" %lld:%lld", (long long)label, (long long)count);
  std::printf("\n");
  return 0;
}

}  // namespace

void add_data_command(CLI::App& app, Action& action) {
  CLI::App* cmd = app.add_subcommand("data", "Make synthetic datasets and describe dataset files");
  cmd->require_subcommand(1);

  auto s = std::make_shared<SynthArgs>();
  CLI::App* sy = cmd->add_subcommand("synth", "Write the built-in synthetic task as DIR/train.npz and DIR/test.npz");
  sy->option_defaults()->always_capture_default();
  sy->add_option("--task", s->task, "images (10 shape classes) or sequences (token pairs)")
      ->check(CLI::IsMember({"images", "sequences"}));
  sy->add_option("--train", s->train, "Training samples")->check(CLI::Range(int64_t(1), int64_t(1) << 24));
  sy->add_option("--test", s->test, "Test samples")->check(CLI::Range(int64_t(1), int64_t(1) << 24));
  sy->add_option("--seed", s->seed, "Seed; train and test use seeds derived from it");
  sy->add_option("-o,--output", s->out, "Output folder (created)")->required();
  sy->add_option("--size", s->size, "Image side: 28 or 32")->check(CLI::IsMember({28, 32}));
  sy->add_option("--channels", s->channels, "Image channels: 1 or 3")->check(CLI::IsMember({1, 3}));
  sy->add_option("--length", s->length, "Sequence length")->check(CLI::Range(4, 4096));
  sy->add_option("--vocab", s->vocab, "Sequence vocabulary size")->check(CLI::Range(7, 1 << 20));
  sy->add_option("--classes", s->classes, "Sequence classes")->check(CLI::Range(2, 12));
  sy->callback([&action, s] { action = [s] { return synth(*s); }; });

  auto i = std::make_shared<InfoArgs>();
  CLI::App* in = cmd->add_subcommand("info", "Describe a dataset: format, samples, shape, dtype, class counts");
  in->add_option("file", i->path, "Dataset file (.npy .npz -ubyte[.gz] .bin .csv) or CIFAR-10 folder")->required();
  in->add_option("--format", i->format, "Force a format")
      ->check(CLI::IsMember({"auto", "npy", "npz", "idx", "cifar10", "csv"}))
      ->capture_default_str();
  in->add_option("--labels", i->labels, "IDX labels file, when not beside the images by MNIST's names");
  in->add_option("--label-column", i->label_column,
                 "CSV label column name, or 'none' (default: a 'label'/'y' header column, else the last)");
  in->add_option("--input-shape", i->input_shape, "CSV: reshape each row's features, e.g. 1,28,28")
      ->delimiter(',')
      ->check(CLI::PositiveNumber);
  in->add_flag("--json", i->json, "Machine-readable output");
  in->callback([&action, i] { action = [i] { return info(*i); }; });
}

}  // namespace shrink::cli
