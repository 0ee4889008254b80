//! The augmentation settings of a run and their validation.

use super::ablation::CutoutFill;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// One augmentation of an explicit step list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepKind {
    /// RandomResizedCrop to the output size, then a random horizontal flip.
    Crop,
    /// Color jitter, then random grayscale.
    Color,
    /// Random Gaussian blur.
    Blur,
    /// Random solarization.
    Solarize,
    /// Rotation by 90, 180 or 270 degrees, drawn uniformly.
    Rotation,
    /// A filled square at a uniform random position.
    Cutout,
    /// Sobel gradient magnitude.
    Sobel,
    /// Additive Gaussian noise.
    Noise,
}

/// Settings of the SimCLR view augmentation.
///
/// Defaults are the ImageNet settings of SimCLR (Chen et al. 2020) as
/// torchvision-style code writes them, unless a field's doc states otherwise.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimclrAugment {
    /// Side of the square output views in pixels. Default `None`: the
    /// source image side given to [`SimclrAugment::pipeline`].
    pub output_size: Option<usize>,
    /// Range of the crop area as a fraction of the image area. Default
    /// `[0.08, 1.0]` (SimCLR, after Inception).
    pub crop_scale: [f64; 2],
    /// Range of the crop aspect ratio (width / height), drawn log-uniformly.
    /// Default `[3/4, 4/3]` (SimCLR).
    pub crop_ratio: [f64; 2],
    /// Probability of a horizontal flip after the crop. Default 0.5 (SimCLR).
    pub flip_probability: f64,
    /// Color distortion strength `s`: brightness, contrast and saturation
    /// factors in `[max(0, 1 - 0.8 s), 1 + 0.8 s]`, hue offset in
    /// `[-0.2 s, 0.2 s]`. Default 1.0 (SimCLR on ImageNet; 0.5 on CIFAR-10).
    pub color_strength: f64,
    /// Probability of the color jitter. Default 0.8 (SimCLR).
    pub jitter_probability: f64,
    /// Probability of converting to grayscale after the jitter. Default 0.2
    /// (SimCLR).
    pub grayscale_probability: f64,
    /// Whether the default step list blurs. Default `None`: blur when the
    /// output side is at least [`AUTO_BLUR_MIN_SIDE`] pixels, as SimCLR
    /// blurs on ImageNet but not on CIFAR-10.
    pub blur: Option<bool>,
    /// Probability of the Gaussian blur. Default 0.5 (SimCLR).
    pub blur_probability: f64,
    /// Range of the blur standard deviation in pixels, drawn uniformly.
    /// Default `[0.1, 2.0]` (SimCLR).
    pub blur_sigma_pixels: [f64; 2],
    /// Blur kernel size as a fraction of the output side, rounded to an odd
    /// size. Default 0.1 (SimCLR).
    pub blur_kernel_fraction: f64,
    /// Probability of solarization. Default 0.0, because SimCLR does not
    /// solarize. BYOL uses 0.2 on its second view.
    pub solarize_probability: f64,
    /// Values at or above this threshold are inverted. Default 0.5.
    pub solarize_threshold: f64,
    /// Side of the cutout square as a fraction of the shorter image side.
    /// Default 0.5 (a choice of this crate).
    pub cutout_fraction: f64,
    /// Fill of the cutout square. Default `zero`.
    pub cutout_fill: CutoutFill,
    /// Standard deviation of the additive noise, in units of the `[0, 1]`
    /// value range. Default 0.1 (a choice of this crate).
    pub noise_std: f64,
    /// Explicit ordered step list for ablations, for example
    /// `["crop", "rotation"]`. Default `None`: crop, color, blur (when
    /// enabled) and solarize (when its probability is above 0).
    pub steps: Option<Vec<StepKind>>,
    /// Whether views end with per-channel normalization. Default `false`
    /// (SimCLR feeds values in `[0, 1]`).
    pub normalize: bool,
    /// Per-channel mean subtracted when `normalize` is set. Default the
    /// ImageNet mean `[0.485, 0.456, 0.406]`.
    pub normalize_mean: [f32; 3],
    /// Per-channel standard deviation divided by when `normalize` is set.
    /// Default the ImageNet standard deviation `[0.229, 0.224, 0.225]`.
    pub normalize_std: [f32; 3],
}

/// Smallest output side at which `blur = None` turns the blur on.
pub const AUTO_BLUR_MIN_SIDE: usize = 96;

impl Default for SimclrAugment {
    fn default() -> Self {
        SimclrAugment {
            output_size: None,
            crop_scale: [0.08, 1.0],
            crop_ratio: [3.0 / 4.0, 4.0 / 3.0],
            flip_probability: 0.5,
            color_strength: 1.0,
            jitter_probability: 0.8,
            grayscale_probability: 0.2,
            blur: None,
            blur_probability: 0.5,
            blur_sigma_pixels: [0.1, 2.0],
            blur_kernel_fraction: 0.1,
            solarize_probability: 0.0,
            solarize_threshold: 0.5,
            cutout_fraction: 0.5,
            cutout_fill: CutoutFill::Zero,
            noise_std: 0.1,
            steps: None,
            normalize: false,
            normalize_mean: [0.485, 0.456, 0.406],
            normalize_std: [0.229, 0.224, 0.225],
        }
    }
}

impl SimclrAugment {
    /// Checks every field, naming the first invalid one as
    /// `augment.<field>` with its value.
    pub fn validate(&self) -> Result<()> {
        if self.output_size == Some(0) {
            return Err(Error::config(
                "augment.output_size",
                "must be at least 1, got 0",
            ));
        }
        check_range("crop_scale", self.crop_scale, Some(1.0))?;
        check_range("crop_ratio", self.crop_ratio, None)?;
        check_range("blur_sigma_pixels", self.blur_sigma_pixels, None)?;
        for (field, value) in [
            ("flip_probability", self.flip_probability),
            ("jitter_probability", self.jitter_probability),
            ("grayscale_probability", self.grayscale_probability),
            ("blur_probability", self.blur_probability),
            ("solarize_probability", self.solarize_probability),
            ("solarize_threshold", self.solarize_threshold),
        ] {
            check_unit_interval(field, value)?;
        }
        check_non_negative("color_strength", self.color_strength)?;
        check_non_negative("noise_std", self.noise_std)?;
        check_fraction("blur_kernel_fraction", self.blur_kernel_fraction)?;
        check_fraction("cutout_fraction", self.cutout_fraction)?;
        self.validate_normalize()?;
        self.validate_steps()
    }

    fn validate_normalize(&self) -> Result<()> {
        if self.normalize_mean.iter().any(|m| !m.is_finite()) {
            return Err(Error::config(
                "augment.normalize_mean",
                format!("must be finite, got {:?}", self.normalize_mean),
            ));
        }
        if self
            .normalize_std
            .iter()
            .any(|s| !(s.is_finite() && *s > 0.0))
        {
            return Err(Error::config(
                "augment.normalize_std",
                format!("must be finite and above 0, got {:?}", self.normalize_std),
            ));
        }
        Ok(())
    }

    fn validate_steps(&self) -> Result<()> {
        let Some(steps) = &self.steps else {
            return Ok(());
        };
        if steps.is_empty() {
            return Err(Error::config(
                "augment.steps",
                "must list at least one step or be left out, got []",
            ));
        }
        for (i, step) in steps.iter().enumerate() {
            if steps[..i].contains(step) {
                return Err(Error::config(
                    "augment.steps",
                    format!("lists {step:?} twice, got {steps:?}"),
                ));
            }
        }
        if self.blur == Some(false) && steps.contains(&StepKind::Blur) {
            return Err(Error::config(
                "augment.blur",
                format!("is false but augment.steps includes blur, got steps {steps:?}"),
            ));
        }
        Ok(())
    }
}

/// Accepts `0 < low <= high` (and `high <= max` when given), all finite.
fn check_range(field: &str, range: [f64; 2], max: Option<f64>) -> Result<()> {
    let [low, high] = range;
    let within_max = max.is_none_or(|max| high <= max);
    if low.is_finite() && high.is_finite() && 0.0 < low && low <= high && within_max {
        return Ok(());
    }
    let bound = match max {
        Some(max) => format!("0 < min <= max <= {max}"),
        None => "0 < min <= max, both finite".to_string(),
    };
    Err(Error::config(
        format!("augment.{field}"),
        format!("must satisfy {bound}, got [{low}, {high}]"),
    ))
}

fn check_unit_interval(field: &str, value: f64) -> Result<()> {
    if (0.0..=1.0).contains(&value) {
        return Ok(());
    }
    Err(Error::config(
        format!("augment.{field}"),
        format!("must be in [0, 1], got {value}"),
    ))
}

fn check_non_negative(field: &str, value: f64) -> Result<()> {
    if value.is_finite() && value >= 0.0 {
        return Ok(());
    }
    Err(Error::config(
        format!("augment.{field}"),
        format!("must be finite and at least 0, got {value}"),
    ))
}

fn check_fraction(field: &str, value: f64) -> Result<()> {
    if value > 0.0 && value <= 1.0 {
        return Ok(());
    }
    Err(Error::config(
        format!("augment.{field}"),
        format!("must be in (0, 1], got {value}"),
    ))
}
