// Training checkpoints: a run saved and restored continues to the same bits; a run folder
// refuses to overwrite a run and resumes only an existing one.
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "framework/nn/layers.h"
#include "framework/ops.h"
#include "framework/safetensors.h"
#include "train/run_folder.h"
#include "train/training_state.h"
#include "tests/util/test_util.h"

using namespace learner;

namespace {
std::string temp_dir(const char* name) {
  const std::string dir = "/tmp/learner_state_" + std::to_string(::getpid()) + "_" + name;
  std::system(("rm -rf " + dir).c_str());
  return dir;
}

std::shared_ptr<nn::Sequential> make_net(uint64_t seed) {
  Generator gen(seed);
  auto net = std::make_shared<nn::Sequential>();
  net->add(std::make_shared<nn::Linear>(5, 7, true, gen));
  net->add(std::make_shared<nn::ReLU>());
  net->add(std::make_shared<nn::Linear>(7, 1, true, gen));
  return net;
}

void train_steps(nn::Module& net, optim::Optimizer& opt, int first, int count) {
  for (int s = first; s < first + count; ++s) {
    const Tensor x = test::random_tensor({4, 5}, 100 + s), y = test::random_tensor({4, 1}, 200 + s);
    opt.zero_grad();
    mse_loss(net(x), y).backward();
    opt.step();
  }
}

std::vector<float> flat_params(nn::Module& net) {
  std::vector<float> out;
  for (Tensor* p : net.parameters()) {
    const auto v = p->to_vector();
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}
}  // namespace

TEST_CASE("save after N/2 steps, restore into a fresh model, continue: same bits as N straight") {
  for (bool sgd : {false, true}) {
    auto straight = make_net(1);
    std::unique_ptr<optim::Optimizer> opt_straight;
    optim::SgdOptions so;
    so.momentum = 0.9f;
    if (sgd) opt_straight = std::make_unique<optim::Sgd>(straight->parameters(), so);
    else opt_straight = std::make_unique<optim::Adam>(straight->parameters());
    train_steps(*straight, *opt_straight, 0, 6);

    auto first = make_net(1);
    std::unique_ptr<optim::Optimizer> opt_first;
    if (sgd) opt_first = std::make_unique<optim::Sgd>(first->parameters(), so);
    else opt_first = std::make_unique<optim::Adam>(first->parameters());
    train_steps(*first, *opt_first, 0, 3);
    const std::string path = temp_dir("ckpt") + ".safetensors";
    train::RunPosition pos;
    pos.epoch = 2;
    pos.batch = 1;
    pos.step = 3;
    pos.best_metric = 0.1234567890123;
    pos.has_best = true;
    train::save_training_state(path, *first, *opt_first, pos);

    auto resumed = make_net(99);  // different initial weights: all must come from the file
    std::unique_ptr<optim::Optimizer> opt_resumed;
    if (sgd) opt_resumed = std::make_unique<optim::Sgd>(resumed->parameters(), so);
    else opt_resumed = std::make_unique<optim::Adam>(resumed->parameters());
    const train::RunPosition back = train::load_training_state(path, *resumed, *opt_resumed);
    CHECK(back.epoch == 2);
    CHECK(back.batch == 1);
    CHECK(back.step == 3);
    CHECK(back.best_metric == pos.best_metric);
    CHECK(opt_resumed->steps_taken() == 3);
    train_steps(*resumed, *opt_resumed, 3, 3);
    CHECK_MESSAGE(flat_params(*resumed) == flat_params(*straight), std::string(sgd ? "sgd" : "adam"));
    std::remove(path.c_str());
  }
}

TEST_CASE("a plain model checkpoint is not a training checkpoint") {
  auto net = make_net(2);
  optim::Adam adam(net->parameters());
  const std::string path = temp_dir("plain") + ".safetensors";
  write_safetensors(path, {{"0.weight", net->parameters()[0]->clone()}});
  CHECK_THROWS_WITH_AS(train::load_training_state(path, *net, adam), doctest::Contains("not a training checkpoint"),
                       Error);
  std::remove(path.c_str());
}

TEST_CASE("run folders: fresh refuses an existing run, resume needs one, metrics truncate on resume") {
  const std::string dir = temp_dir("run");
  CHECK_THROWS_WITH_AS(train::RunFolder(dir, train::FolderMode::Resume), doctest::Contains("holds no run to resume"),
                       Error);
  {
    train::RunFolder folder(dir, train::FolderMode::Fresh);
    folder.write_config(R"({"lr": 0.001})");
    for (int s = 1; s <= 5; ++s) folder.log_metrics(s, 0, "train", {{"loss", 1.0 / s}});
  }
  CHECK_THROWS_WITH_AS(train::RunFolder(dir, train::FolderMode::Fresh), doctest::Contains("pass --resume"), Error);
  train::RunFolder folder(dir, train::FolderMode::Resume);
  folder.truncate_metrics_after(3);
  folder.log_metrics(4, 0, "train", {{"loss", 0.5}});
  std::ifstream in(dir + "/metrics.jsonl");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  REQUIRE(lines.size() == 4);
  CHECK(lines[3].find("\"step\":4") != std::string::npos);
  CHECK(lines[3].find("\"loss\":0.5") != std::string::npos);
  std::system(("rm -rf " + dir).c_str());
}
