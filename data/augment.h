// Training augmentation of a clip and the pixel normalisation of SPEC section 4: uint8
// frames (T, C, H, W) in, network input (T, C, H, W) f32 out. One set of parameters is drawn
// per clip and applied to all its T frames, so the clip stays one coherent video.
#pragma once

#include <cstdint>

#include "framework/random.h"

namespace learner::data {

// The network's view of a stored pixel p: (p / 255 - 0.45) / 0.225 on every channel.
float normalize_pixel(uint8_t p);

struct AugmentOptions {
  // Random resized crop: a crop of scale * H * W pixels with width / height = ratio
  // (log-uniform), resized back to H x W with a bilinear filter.
  float scale_min = 0.7f, scale_max = 1.0f;
  float ratio_min = 0.8f, ratio_max = 1.25f;
  // Jitter factors drawn from [1 - x, 1 + x]: brightness scales the intensities, contrast
  // scales their distance to the clip's mean; results are clamped to [0, 1] as torchvision does.
  float brightness = 0.2f;
  float contrast = 0.2f;
  bool hflip = true;  // mirror left-right with probability 1/2
};

// The parameters of one clip's augmentation; the default is the identity.
struct ClipAugment {
  bool enabled = false;
  int crop_x = 0, crop_y = 0, crop_w = 0, crop_h = 0;  // in stored pixels
  float brightness = 1.f, contrast = 1.f;
  bool flip = false;
};

// Draws a clip's parameters for H x W frames (torchvision's RandomResizedCrop rule: ten
// tries at the scale/ratio, then the largest centred crop within the ratio bounds).
ClipAugment draw_clip_augment(const AugmentOptions& options, int H, int W, Generator& gen);

// Checks the option ranges; throws learner::Error naming the bad one.
void validate(const AugmentOptions& options);

// out (T, C, H, W) f32 = normalize(augment(frames)); frames (T, C, H, W) uint8. With
// aug.enabled false this is exactly normalize_pixel of every pixel (evaluation).
void clip_to_input(float* out, const uint8_t* frames, int T, int C, int H, int W,
                   const ClipAugment& aug);

}  // namespace learner::data
