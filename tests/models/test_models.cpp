// Models and checkpoints: encoder shapes and names, save/load round trips, mismatches
// reported by name, and the torchvision import.
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "framework/autograd.h"
#include "framework/nn/state_dict.h"
#include "models/checkpoint.h"
#include "models/heads.h"
#include "tests/util/test_util.h"

using namespace learner;

namespace {
std::string temp_path(const char* name) {
  return "/tmp/learner_models_" + std::to_string(::getpid()) + "_" + name;
}
models::EncoderOptions small_options(models::Backbone backbone) {
  models::EncoderOptions o;
  o.backbone = backbone;
  o.frames = 3;
  o.in_channels = 1;
  return o;
}
}  // namespace

TEST_CASE("encoders: embedding widths, parameter count, input checks") {
  Generator gen(1);
  models::VideoEncoder tsm(small_options(models::Backbone::TSM), gen);
  models::VideoEncoder flat(small_options(models::Backbone::ResNet2D), gen);
  CHECK(tsm.embedding_width() == 512);
  CHECK(flat.embedding_width() == 3 * 512);
  // torchvision's resnet18 without fc, conv1 on one channel: 11,176,512 - 64*2*49.
  CHECK(tsm.parameter_count() == 11176512 - 64 * 2 * 49);
  models::EncoderOptions rgb = small_options(models::Backbone::TSM);
  rgb.in_channels = 3;
  CHECK(models::VideoEncoder(rgb, gen).parameter_count() == 11176512);

  NoGradGuard no_grad;
  tsm.eval();
  flat.eval();
  const Tensor x = test::random_tensor({2 * 3, 1, 32, 32}, 5);
  CHECK(tsm(x).shape() == Shape{2, 512});
  CHECK(flat(x).shape() == Shape{2, 1536});
  CHECK_THROWS_WITH_AS(tsm(test::random_tensor({5, 1, 32, 32}, 6)),
                       doctest::Contains("5 frames do not form clips of T = 3"), Error);
  CHECK_THROWS_WITH_AS(tsm(test::random_tensor({3, 3, 32, 32}, 7)),
                       doctest::Contains("expected 1 channel(s)"), Error);
}

TEST_CASE("the temporal shift lets a frame see its neighbours; the 2D baseline does not") {
  Generator gen_a(2), gen_b(2);  // same seed: identical weights
  models::VideoEncoder tsm(small_options(models::Backbone::TSM), gen_a);
  models::VideoEncoder flat(small_options(models::Backbone::ResNet2D), gen_b);
  tsm.eval();
  flat.eval();
  NoGradGuard no_grad;
  const Tensor x = test::random_tensor({3, 1, 32, 32}, 8);
  std::vector<float> v = x.to_vector();
  for (size_t i = 2 * 32 * 32; i < v.size(); ++i) v[i] += 0.5f;  // change frame 2 only
  const Tensor x2 = Tensor::from_vector(v, x.shape());
  // Per-frame features (B*T, 512), before the clip pooling.
  auto frame0 = [](models::VideoEncoder& e, const Tensor& in) {
    return e.models::ResNet18::forward(in).to_vector();
  };
  const std::vector<float> flat_a = frame0(flat, x), flat_b = frame0(flat, x2);
  const std::vector<float> tsm_a = frame0(tsm, x), tsm_b = frame0(tsm, x2);
  CHECK(std::equal(flat_a.begin(), flat_a.begin() + 512, flat_b.begin()));   // frame 0 untouched
  CHECK_FALSE(std::equal(tsm_a.begin(), tsm_a.begin() + 512, tsm_b.begin()));  // frame 0 sees frame 2
}

TEST_CASE("pretrain and pair models have SPEC section 8 names") {
  Generator gen(3);
  models::PretrainModel pre(small_options(models::Backbone::TSM), gen);
  models::PairClassifier pair(512, gen);
  std::vector<std::string> names;
  for (auto& [name, t] : nn::state_dict(pre)) names.push_back(name);
  for (const char* expected : {"encoder.conv1.weight", "encoder.bn1.running_var", "encoder.layer1.0.conv1.weight",
                               "encoder.bn1.num_batches_tracked", "head.0.weight", "head.0.bias",
                               "head.2.weight", "head.2.bias"})
    CHECK_MESSAGE(std::find(names.begin(), names.end(), expected) != names.end(), expected);
  CHECK(std::find(names.begin(), names.end(), "encoder.fc.weight") == names.end());
  auto pair_state = nn::state_dict(pair);
  REQUIRE(pair_state.size() == 4);
  CHECK(pair_state[0].first == "classifier.0.weight");
  CHECK(pair_state[0].second.shape() == Shape{256, 1536});
  CHECK(pair_state[3].first == "classifier.2.bias");
  const Tensor logits = pair.classify(test::random_tensor({4, 512}, 9), test::random_tensor({4, 512}, 10));
  CHECK(logits.shape() == Shape{4, 3});
}

TEST_CASE("checkpoint round trip gives identical bits; a model of another shape is refused by name") {
  const std::string path = temp_path("pre.safetensors");
  Generator gen(4);
  models::PretrainModel a(small_options(models::Backbone::TSM), gen);
  a.encoder->bn1->num_batches_tracked.data<int64_t>()[0] = 11;
  models::save_module(path, a, {{"learner", "test"}});
  Generator other(5);
  models::PretrainModel b(small_options(models::Backbone::TSM), other);
  models::load_module(path, b);
  const auto sa = nn::state_dict(a), sb = nn::state_dict(b);
  REQUIRE(sa.size() == sb.size());
  for (size_t i = 0; i < sa.size(); ++i) CHECK_MESSAGE(test::bit_equal(sa[i].second, sb[i].second), sa[i].first);

  models::PretrainModel flat(small_options(models::Backbone::ResNet2D), gen);  // head.0 is 256 x 1536
  CHECK_THROWS_WITH_AS(models::load_module(path, flat),
                       doctest::Contains("tensor 'head.0.weight' has f32[256, 512] but the model expects f32[256, 1536]"),
                       Error);
  models::PairClassifier pair(512, gen);
  CHECK_THROWS_WITH_AS(models::load_module(path, pair), doctest::Contains("missing tensors the model needs: classifier.0.weight"),
                       Error);
  std::remove(path.c_str());
}

TEST_CASE("a torchvision ResNet-18 state_dict initialises the encoder; RGB conv1 is summed for grayscale") {
  const std::string path = temp_path("torchvision.safetensors");
  Generator gen(6);
  models::ResNet18 imagenet(models::ResNetOptions{3, 1000}, gen);
  models::save_module(path, imagenet);  // torchvision names: no prefix, with fc
  models::VideoEncoder gray(small_options(models::Backbone::TSM), gen);
  models::init_encoder(path, gray);
  const std::vector<float> rgb = imagenet.conv1->weight.to_vector(), g = gray.conv1->weight.to_vector();
  REQUIRE(g.size() == rgb.size() / 3);
  for (size_t o = 0; o < 64; ++o)
    for (size_t k = 0; k < 49; ++k)
      CHECK(g[o * 49 + k] == doctest::Approx(rgb[o * 147 + k] + rgb[o * 147 + 49 + k] + rgb[o * 147 + 98 + k]));
  CHECK(test::bit_equal(*gray.layer3->named_parameters()[0].second, *imagenet.layer3->named_parameters()[0].second));

  // Our own pre-training checkpoint works the same way.
  const std::string ours = temp_path("ours.safetensors");
  models::PretrainModel pre(small_options(models::Backbone::TSM), gen);
  models::save_module(ours, pre);
  models::VideoEncoder again(small_options(models::Backbone::TSM), gen);
  models::init_encoder(ours, again);
  CHECK(test::bit_equal(*again.layer4->named_parameters()[0].second, *pre.encoder->layer4->named_parameters()[0].second));
  std::remove(path.c_str());
  std::remove(ours.c_str());
}
