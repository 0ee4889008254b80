//! Command-line flags shared by several commands.
//!
//! Every flag is optional and overrides the matching key of the TOML config;
//! the config's own defaults are written once, in the library.

use std::path::PathBuf;

use clap::Args;
use serde::de::DeserializeOwned;

use simclr::augment::{SimclrAugment, StepKind};
use simclr::data::ReadOptions;

/// Parses a lowercase name into one of the library's serde enums, so the
/// flag accepts exactly the names the TOML file accepts.
pub fn parse_name<T: DeserializeOwned>(name: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(name.to_string())).map_err(|e| e.to_string())
}

/// Parses `MIN,MAX` into a range.
pub fn parse_range(text: &str) -> Result<[f64; 2], String> {
    let parts: Vec<&str> = text.split(',').collect();
    let [low, high] = parts.as_slice() else {
        return Err(format!("expected MIN,MAX, got '{text}'"));
    };
    let parse = |s: &str| s.trim().parse::<f64>().map_err(|e| format!("'{s}': {e}"));
    Ok([parse(low)?, parse(high)?])
}

/// Dataset reading flags.
#[derive(Args, Debug, Clone, Default)]
pub struct DataArgs {
    /// Dataset: `builtin`, a path whose format is detected, or FORMAT:PATH
    /// with FORMAT one of idx, cifar10, cifar100, stl10, folder.
    #[arg(long, value_name = "SPEC")]
    pub data: Option<String>,
    /// Stop at the first unreadable image of a folder dataset instead of
    /// skipping it.
    #[arg(long)]
    pub strict: bool,
    /// Largest image, in pixels, that is decoded.
    #[arg(long, value_name = "PIXELS")]
    pub max_pixels: Option<u64>,
    /// CIFAR-100 labels: fine (100 classes) or coarse (20 superclasses).
    #[arg(long, value_name = "KIND", value_parser = parse_name::<simclr::data::Cifar100Labels>)]
    pub cifar100_labels: Option<simclr::data::Cifar100Labels>,
}

impl DataArgs {
    pub fn apply(&self, read: &mut ReadOptions) {
        read.strict |= self.strict;
        if let Some(max_pixels) = self.max_pixels {
            read.max_pixels = max_pixels;
        }
        if let Some(labels) = self.cifar100_labels {
            read.cifar100_labels = labels;
        }
    }
}

/// Augmentation flags, the same for `pretrain` and `augment`.
#[derive(Args, Debug, Clone, Default)]
pub struct AugmentArgs {
    /// Side of the square views in pixels [default: the dataset's image
    /// side, at most 224].
    #[arg(long, value_name = "PIXELS")]
    pub output_size: Option<usize>,
    /// Crop area range as a fraction of the image area, MIN,MAX.
    #[arg(long, value_name = "MIN,MAX", value_parser = parse_range)]
    pub crop_scale: Option<[f64; 2]>,
    /// Crop aspect ratio range, MIN,MAX.
    #[arg(long, value_name = "MIN,MAX", value_parser = parse_range)]
    pub crop_ratio: Option<[f64; 2]>,
    /// Probability of a horizontal flip.
    #[arg(long, value_name = "P")]
    pub flip_probability: Option<f64>,
    /// Color distortion strength s.
    #[arg(long, value_name = "S")]
    pub color_strength: Option<f64>,
    /// Probability of the color jitter.
    #[arg(long, value_name = "P")]
    pub jitter_probability: Option<f64>,
    /// Probability of grayscale conversion.
    #[arg(long, value_name = "P")]
    pub grayscale_probability: Option<f64>,
    /// Gaussian blur on or off [default: on for views of 96 pixels or more].
    #[arg(long, value_name = "BOOL")]
    pub blur: Option<bool>,
    /// Probability of the Gaussian blur.
    #[arg(long, value_name = "P")]
    pub blur_probability: Option<f64>,
    /// Probability of solarization.
    #[arg(long, value_name = "P")]
    pub solarize_probability: Option<f64>,
    /// Explicit step list for ablations, comma-separated: crop, color, blur,
    /// solarize, rotation, cutout, sobel, noise.
    #[arg(long, value_name = "STEPS", value_delimiter = ',', value_parser = parse_name::<StepKind>)]
    pub steps: Option<Vec<StepKind>>,
    /// End each view with per-channel normalization.
    #[arg(long)]
    pub normalize: bool,
}

impl AugmentArgs {
    pub fn apply(&self, augment: &mut SimclrAugment) {
        set(&mut augment.output_size, self.output_size.map(Some));
        set(&mut augment.crop_scale, self.crop_scale);
        set(&mut augment.crop_ratio, self.crop_ratio);
        set(&mut augment.flip_probability, self.flip_probability);
        set(&mut augment.color_strength, self.color_strength);
        set(&mut augment.jitter_probability, self.jitter_probability);
        set(
            &mut augment.grayscale_probability,
            self.grayscale_probability,
        );
        set(&mut augment.blur, self.blur.map(Some));
        set(&mut augment.blur_probability, self.blur_probability);
        set(&mut augment.solarize_probability, self.solarize_probability);
        set(&mut augment.steps, self.steps.clone().map(Some));
        augment.normalize |= self.normalize;
    }
}

/// Overwrites `target` when the flag was given.
pub fn set<T>(target: &mut T, flag: Option<T>) {
    if let Some(value) = flag {
        *target = value;
    }
}

/// Finds the run directory of a checkpoint flag: `DIR` or `DIR/checkpoint`.
pub fn run_dir_of(checkpoint: &std::path::Path) -> PathBuf {
    if !checkpoint.join("config.toml").is_file()
        && checkpoint
            .parent()
            .is_some_and(|p| p.join("config.toml").is_file())
    {
        return checkpoint.parent().map(PathBuf::from).unwrap_or_default();
    }
    checkpoint.to_path_buf()
}
