// Rows for VideoMAE's op (framework/ops/tubelet_embed.h): small clips for the CPU gradient
// check, remainders dropped in H and W, a 16 x 16 x 2 tubelet at VideoMAE's size, no bias.
#include "framework/ops.h"
#include "tests/op/op_cases.h"

namespace learner::test {

void videomae_op_rows(std::vector<OpCase>& rows) {
  struct Tube {
    const char* name;
    int64_t frames;
    Shape x, w;
    bool bias, check;
  };
  for (const Tube& c :
       {Tube{"2 clips of T 4, (3, 9, 7), tubelet 2 x 4 x 4: remainders dropped", 4, {8, 3, 9, 7}, {5, 3, 2, 4, 4}, true,
             true},
        Tube{"1 clip of T 3, tubelet 3 x 2 x 2", 3, {3, 2, 5, 4}, {4, 2, 3, 2, 2}, true, true},
        Tube{"2 clips of T 4, (2, 35, 50), tubelet 2 x 16 x 16", 4, {8, 2, 35, 50}, {19, 2, 2, 16, 16}, true, false},
        Tube{"3 clips of T 2, (1, 32, 48), no bias", 2, {6, 1, 32, 48}, {7, 1, 2, 16, 16}, false, false}}) {
    const int64_t frames = c.frames;
    rows.push_back({"tubelet_embed", c.name,
                    [c] {
                      return Inputs{random_tensor(c.x, 3800, -1.f, 1.f), random_tensor(c.w, 3801, -1.f, 1.f),
                                    c.bias ? random_tensor({c.w[0]}, 3802, -1.f, 1.f) : Tensor()};
                    },
                    c.bias ? std::vector<int>{0, 1, 2} : std::vector<int>{0, 1},
                    [frames](const Inputs& x) { return Outputs{tubelet_embed(x[0], frames, x[1], x[2])}; },
                    {close(1e-5, 1e-4)}, {close(1e-5, 1e-4), close_to_max(1e-5, 1e-4)}, Repeat::Bits,
                    c.check ? std::optional<GradCheck>(GradCheck()) : std::nullopt});
  }
}

}  // namespace learner::test
