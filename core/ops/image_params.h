// The image operators' parameters and random draws (core/ops/image_ops.cc), shared with their GPU kernels
// (cuda/gpu_ops_image.cc) so that both check the same things and draw the same numbers from a context's generator.
#pragma once

#include <vector>

#include "operator.h"

namespace mxc {
namespace op {
namespace image {

// normalize's mean and std of each of `channels` channels (checked: 1 value or one per channel, std without 0).
void MeanStd(const OpParams &p, int64_t channels, std::vector<float> *mean, std::vector<float> *std,
             std::vector<double> *mean64 = nullptr, std::vector<double> *std64 = nullptr);
// random_flip_*: whether this call flips (one draw).
bool DrawFlip(const OpContext &ctx);
// random_brightness / contrast / saturation / hue: the factor of this call from [min_factor, max_factor].
float DrawFactor(const OpContext &ctx, const OpParams &p);
// random_color_jitter: the steps of this call in their order (0 brightness, 1 contrast, 2 saturation, 3 hue) and
// each step's factor.
void DrawJitter(const OpContext &ctx, const OpParams &p, std::vector<int> *steps, std::vector<float> *factors);
// adjust_lighting (random = false) and random_lighting: the RGB offset added to every pixel.
void LightingOffset(const OpContext &ctx, const OpParams &p, bool random, float add[3]);

}  // namespace image
}  // namespace op
}  // namespace mxc
