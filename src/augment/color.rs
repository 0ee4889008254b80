//! Pointwise color ops with torchvision 0.29 `transforms.v2.functional`
//! semantics on float images in `[0, 1]`.
//!
//! Each op changes the image in place. Blends compute
//! `factor * image + (1 - factor) * other` and clamp the result to `[0, 1]`.

use super::FloatImage;

/// ITU-R 601 luma weights for red, green and blue, as torchvision uses them.
pub const LUMA_WEIGHTS: [f32; 3] = [0.2989, 0.587, 0.114];

/// Writes the luma `0.2989 R + 0.587 G + 0.114 B` of each pixel into `gray`.
///
/// # Shapes
/// `gray` must have `height * width` values.
pub fn luma_plane(image: &FloatImage, gray: &mut [f32]) {
    let [red, green, blue] = image.planes();
    for (i, out) in gray.iter_mut().enumerate() {
        *out = red[i] * LUMA_WEIGHTS[0] + green[i] * LUMA_WEIGHTS[1] + blue[i] * LUMA_WEIGHTS[2];
    }
}

/// Multiplies every value by `factor` and clamps to `[0, 1]`.
pub fn adjust_brightness(image: &mut FloatImage, factor: f32) {
    for value in image.data.iter_mut() {
        *value = (*value * factor).clamp(0.0, 1.0);
    }
}

/// Blends the image with the mean luma of the whole image (one scalar).
pub fn adjust_contrast(image: &mut FloatImage, factor: f32) {
    let [red, green, blue] = image.planes();
    let mut sum = 0.0f64;
    for i in 0..red.len() {
        let luma =
            red[i] * LUMA_WEIGHTS[0] + green[i] * LUMA_WEIGHTS[1] + blue[i] * LUMA_WEIGHTS[2];
        sum += f64::from(luma);
    }
    let mean = (sum / red.len().max(1) as f64) as f32;
    let offset = (1.0 - factor) * mean;
    for value in image.data.iter_mut() {
        *value = (factor * *value + offset).clamp(0.0, 1.0);
    }
}

/// Blends each pixel with its own luma.
pub fn adjust_saturation(image: &mut FloatImage, factor: f32) {
    let keep = 1.0 - factor;
    for_each_pixel(image, |rgb| {
        let luma = rgb[0] * LUMA_WEIGHTS[0] + rgb[1] * LUMA_WEIGHTS[1] + rgb[2] * LUMA_WEIGHTS[2];
        let offset = keep * luma;
        rgb.map(|value| (factor * value + offset).clamp(0.0, 1.0))
    });
}

/// Replaces every channel by the luma, so the image stays three-channel.
pub fn rgb_to_grayscale(image: &mut FloatImage) {
    for_each_pixel(image, |rgb| {
        let luma = rgb[0] * LUMA_WEIGHTS[0] + rgb[1] * LUMA_WEIGHTS[1] + rgb[2] * LUMA_WEIGHTS[2];
        [luma; 3]
    });
}

/// Replaces every value `v >= threshold` by `1 - v`.
pub fn solarize(image: &mut FloatImage, threshold: f32) {
    for value in image.data.iter_mut() {
        if *value >= threshold {
            *value = 1.0 - *value;
        }
    }
}

/// Applies `map` to the `[r, g, b]` triple of every pixel.
pub(crate) fn for_each_pixel(image: &mut FloatImage, mut map: impl FnMut([f32; 3]) -> [f32; 3]) {
    let [red, green, blue] = image.planes_mut();
    for ((r, g), b) in red.iter_mut().zip(green.iter_mut()).zip(blue.iter_mut()) {
        let [new_r, new_g, new_b] = map([*r, *g, *b]);
        *r = new_r;
        *g = new_g;
        *b = new_b;
    }
}
