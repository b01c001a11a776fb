// AdamW (decoupled weight decay, a no-decay group) against torch.optim.AdamW itself, run by
// tests/parity/adamw_reference.py on the same parameters and gradients; and the no-decay rule
// on a ViT's parameter names.
#include <unistd.h>

#include <cstdio>
#include <string>

#include "framework/optim/no_decay.h"
#include "framework/optim/optimizer.h"
#include "framework/safetensors.h"
#include "models/vit.h"
#include "tests/util/data_test_util.h"
#include "tests/util/test_util.h"

using namespace learner;

TEST_CASE("adamw matches torch.optim.AdamW, with a group that is not decayed") {
  const std::string input = "/tmp/learner_adamw_" + std::to_string(::getpid()) + ".safetensors";
  const float lr = 0.01f, wd = 0.05f;
  const int steps = 4;
  // A weight (decayed), a bias and a position embedding (not decayed).
  std::vector<Tensor> params = {test::random_tensor({7, 5}, 1, -2.f, 2.f), test::random_tensor({5}, 2),
                                test::random_tensor({1, 3, 4}, 3)};
  const std::vector<bool> decays = {true, false, false};
  NamedTensors file = {{"lr", Tensor::full({1}, lr)}, {"weight_decay", Tensor::full({1}, wd)}};
  for (size_t i = 0; i < params.size(); ++i) {
    file.emplace_back("p." + std::to_string(i), params[i].clone());
    file.emplace_back("decay." + std::to_string(i), Tensor::full({1}, decays[i] ? 1.f : 0.f));
  }
  std::vector<std::vector<Tensor>> grads(params.size());
  for (size_t i = 0; i < params.size(); ++i)
    for (int s = 0; s < steps; ++s) {
      grads[i].push_back(test::random_tensor(params[i].shape(), 100 + 10 * i + s));
      file.emplace_back("g." + std::to_string(i) + "." + std::to_string(s), grads[i].back());
    }
  write_safetensors(input, file);

  optim::AdamOptions o;
  o.lr = lr;
  o.weight_decay = wd;
  o.decay = optim::WeightDecay::Decoupled;
  std::vector<Tensor*> pointers;
  for (Tensor& p : params) pointers.push_back(&p.set_requires_grad(true));
  optim::Adam adamw(pointers, o, decays);
  for (int s = 0; s < steps; ++s) {
    for (size_t i = 0; i < params.size(); ++i) params[i].set_grad(grads[i][s]);
    adamw.step();
  }

  const auto r = test::run_command("cd " + std::string(LEARNER_SOURCE_DIR) +
                                   "/tests/parity && /usr/bin/python3 adamw_reference.py " + input);
  REQUIRE_MESSAGE(r.exit_code == 0, "torch.optim.AdamW reference failed (needs python3-torch): ", r.output);
  const SafetensorsFile torch_out = read_safetensors(input + ".out.safetensors");
  for (size_t i = 0; i < params.size(); ++i) {
    CAPTURE(i);
    const Tensor* expected = torch_out.find("p." + std::to_string(i));
    REQUIRE(expected != nullptr);
    test::expect_close(params[i], *expected, 1e-7, 1e-6, "adamw vs torch");
  }
  // Decoupled is not L2: the same run with Adam's L2 decay ends elsewhere.
  Tensor again = file[2].second.clone().set_requires_grad(true);
  optim::AdamOptions l2 = o;
  l2.decay = optim::WeightDecay::L2;
  optim::Adam adam({&again}, l2);
  for (int s = 0; s < steps; ++s) {
    again.set_grad(grads[0][s]);
    adam.step();
  }
  CHECK_FALSE(test::bit_equal(again.detach(), params[0].detach()));
  std::remove(input.c_str());
  std::remove((input + ".out.safetensors").c_str());
}

TEST_CASE("the no-decay set: norms, biases, pos_embed and cls_token of a ViT") {
  models::ViTConfig c;
  c.width = 8, c.depth = 1, c.heads = 2, c.patch = 4, c.image_height = 8, c.image_width = 8;
  models::VisionTransformer vit(c);
  const auto named = vit.named_parameters();
  const std::vector<bool> flags = optim::weight_decay_flags(named);
  REQUIRE(flags.size() == named.size());
  for (size_t i = 0; i < named.size(); ++i) {
    const std::string& name = named[i].first;
    CAPTURE(name);
    const bool decayed = name == "patch_embed.proj.weight" || name == "blocks.0.attn.qkv.weight" ||
                         name == "blocks.0.attn.proj.weight" || name == "blocks.0.mlp.fc1.weight" ||
                         name == "blocks.0.mlp.fc2.weight";
    CHECK(flags[i] == decayed);
  }
}
