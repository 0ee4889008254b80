//! The SimCLR view pipeline: random crops, flips, color distortion, blur and
//! the ablation ops of Chen et al. 2020, on planar float images.
//!
//! Deterministic ops follow torchvision 0.29 `transforms.v2.functional` on
//! float images in `[0, 1]`, and `tests/augment_golden.rs` checks them
//! against values it produced. [`SimclrAugment`] contains a run's settings and
//! builds a [`ViewPipeline`], whose [`ViewPipeline::two_views`] draws the
//! two views of one image from an RNG seeded per image and epoch.

mod ablation;
mod blur;
mod build;
mod color;
mod config;
mod float_image;
mod geometry;
pub mod grid;
mod hue;
mod pipeline;
mod resample;
mod rng;
mod sampling;

pub use ablation::{cutout, gaussian_noise, normalize, sobel, CutoutFill};
pub use blur::{gaussian_blur, gaussian_kernel, reflect_index};
pub use color::{
    adjust_brightness, adjust_contrast, adjust_saturation, luma_plane, rgb_to_grayscale, solarize,
    LUMA_WEIGHTS,
};
pub use config::{SimclrAugment, StepKind, AUTO_BLUR_MIN_SIDE};
pub use float_image::FloatImage;
pub use geometry::{horizontal_flip, rotate_quarter_turns};
pub use grid::render_grid;
pub use hue::adjust_hue;
pub use pipeline::{Step, ViewPipeline, ViewRecord};
pub use resample::{resized_crop, resized_crop_rgb8, CropBox};
pub use rng::view_rng;
pub use sampling::{
    apply_jitter, blur_kernel_size, jitter_factor_range, jitter_hue_range, sample_crop_box,
    sample_jitter, uniform, JitterOp, JitterParams,
};
