//! Random parameters of the SimCLR augmentations, drawn as torchvision 0.29
//! `transforms.v2` draws them.

use super::color::{adjust_brightness, adjust_contrast, adjust_saturation};
use super::hue::adjust_hue;
use super::resample::CropBox;
use super::FloatImage;
use rand::Rng;

/// Draws a value uniformly from `[low, high)`, or returns `low` when the
/// interval is empty.
pub fn uniform<R: Rng + ?Sized>(rng: &mut R, low: f64, high: f64) -> f64 {
    low + (high - low) * rng.random::<f64>()
}

/// Rounds half to even, as Python's `round` does.
fn round_half_even(value: f64) -> usize {
    value.round_ties_even().max(0.0) as usize
}

/// Draws a RandomResizedCrop box for a `height x width` image.
///
/// Up to 10 tries draw an area fraction uniformly from `scale` and an
/// aspect ratio (width / height) log-uniformly from `ratio`, and keep the
/// first box that fits, at a uniform position. When none fits, the result
/// is the largest centered box whose ratio is `ratio` clamped.
pub fn sample_crop_box<R: Rng + ?Sized>(
    height: usize,
    width: usize,
    scale: [f64; 2],
    ratio: [f64; 2],
    rng: &mut R,
) -> CropBox {
    let area = (height * width) as f64;
    let log_ratio = [ratio[0].ln(), ratio[1].ln()];
    for _ in 0..10 {
        let target_area = area * uniform(rng, scale[0], scale[1]);
        let aspect = uniform(rng, log_ratio[0], log_ratio[1]).exp();
        let crop_width = round_half_even((target_area * aspect).sqrt());
        let crop_height = round_half_even((target_area / aspect).sqrt());
        if 0 < crop_width && crop_width <= width && 0 < crop_height && crop_height <= height {
            let top = rng.random_range(0..=height - crop_height);
            let left = rng.random_range(0..=width - crop_width);
            return CropBox {
                top,
                left,
                height: crop_height,
                width: crop_width,
            };
        }
    }
    center_crop_box(height, width, ratio)
}

/// The fallback box of [`sample_crop_box`].
fn center_crop_box(height: usize, width: usize, ratio: [f64; 2]) -> CropBox {
    let input_ratio = width as f64 / height as f64;
    let (crop_height, crop_width) = if input_ratio < ratio[0] {
        let crop_height = round_half_even(width as f64 / ratio[0]).clamp(1, height);
        (crop_height, width)
    } else if input_ratio > ratio[1] {
        let crop_width = round_half_even(height as f64 * ratio[1]).clamp(1, width);
        (height, crop_width)
    } else {
        (height, width)
    };
    CropBox {
        top: (height - crop_height) / 2,
        left: (width - crop_width) / 2,
        height: crop_height,
        width: crop_width,
    }
}

/// One of the four color jitter adjustments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JitterOp {
    Brightness,
    Contrast,
    Saturation,
    Hue,
}

/// The drawn parameters of one color jitter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct JitterParams {
    /// The order in which the four adjustments run.
    pub order: [JitterOp; 4],
    pub brightness_factor: f32,
    pub contrast_factor: f32,
    pub saturation_factor: f32,
    /// Hue offset in turns.
    pub hue_offset: f32,
}

/// The range `[max(0, 1 - 0.8 s), 1 + 0.8 s]` of the brightness, contrast
/// and saturation factors for color strength `s`, as in SimCLR's color
/// distortion (Chen et al. 2020).
pub fn jitter_factor_range(strength: f64) -> [f64; 2] {
    [(1.0 - 0.8 * strength).max(0.0), 1.0 + 0.8 * strength]
}

/// The range `[-0.2 s, 0.2 s]` of the hue offset for color strength `s`.
pub fn jitter_hue_range(strength: f64) -> [f64; 2] {
    [-0.2 * strength, 0.2 * strength]
}

/// Draws a random order of the four adjustments, then the brightness,
/// contrast and saturation factors and the hue offset, each uniform in its
/// range for color strength `strength`.
pub fn sample_jitter<R: Rng + ?Sized>(strength: f64, rng: &mut R) -> JitterParams {
    let mut order = [
        JitterOp::Brightness,
        JitterOp::Contrast,
        JitterOp::Saturation,
        JitterOp::Hue,
    ];
    // Fisher-Yates shuffle.
    for i in (1..order.len()).rev() {
        let j = rng.random_range(0..=i);
        order.swap(i, j);
    }
    let factors = jitter_factor_range(strength);
    let hue = jitter_hue_range(strength);
    JitterParams {
        order,
        brightness_factor: uniform(rng, factors[0], factors[1]) as f32,
        contrast_factor: uniform(rng, factors[0], factors[1]) as f32,
        saturation_factor: uniform(rng, factors[0], factors[1]) as f32,
        hue_offset: uniform(rng, hue[0], hue[1]) as f32,
    }
}

/// Runs the four adjustments of `params` in its order.
pub fn apply_jitter(image: &mut FloatImage, params: &JitterParams) {
    for op in params.order {
        match op {
            JitterOp::Brightness => adjust_brightness(image, params.brightness_factor),
            JitterOp::Contrast => adjust_contrast(image, params.contrast_factor),
            JitterOp::Saturation => adjust_saturation(image, params.saturation_factor),
            JitterOp::Hue => adjust_hue(image, params.hue_offset),
        }
    }
}

/// Odd blur kernel size for a `side`-pixel image: `floor(fraction * side)`,
/// plus one when even, and at least 3.
pub fn blur_kernel_size(side: usize, fraction: f64) -> usize {
    let size = (fraction * side as f64).floor() as usize;
    let odd = if size % 2 == 0 { size + 1 } else { size };
    odd.max(3)
}
