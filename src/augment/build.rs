//! Turns [`SimclrAugment`] settings into a [`ViewPipeline`].

use super::config::{SimclrAugment, StepKind, AUTO_BLUR_MIN_SIDE};
use super::pipeline::{Step, ViewPipeline};
use super::sampling::blur_kernel_size;
use crate::Result;

impl SimclrAugment {
    /// Validates the settings and builds the pipeline for source images of
    /// side `source_side` pixels, which sets the output side when
    /// `output_size` is `None`.
    pub fn pipeline(&self, source_side: usize) -> Result<ViewPipeline> {
        self.validate()?;
        let output_size = self.output_size.unwrap_or(source_side);
        if output_size == 0 {
            return Err(crate::Error::config(
                "augment.output_size",
                "is unset and the source side is 0, got source_side 0",
            ));
        }
        let kinds = self.step_kinds(output_size);
        let mut steps = Vec::with_capacity(kinds.len() + 2);
        if !kinds.contains(&StepKind::Crop) {
            steps.push(Step::Resize);
        }
        steps.extend(kinds.iter().map(|&kind| self.step(kind, output_size)));
        if self.normalize {
            steps.push(Step::Normalize {
                mean: self.normalize_mean,
                std: self.normalize_std,
            });
        }
        Ok(ViewPipeline::new(output_size, steps))
    }

    /// The explicit step list, or SimCLR's default one for this output side.
    fn step_kinds(&self, output_size: usize) -> Vec<StepKind> {
        if let Some(steps) = &self.steps {
            return steps.clone();
        }
        let mut kinds = vec![StepKind::Crop, StepKind::Color];
        if self.blur.unwrap_or(output_size >= AUTO_BLUR_MIN_SIDE) {
            kinds.push(StepKind::Blur);
        }
        if self.solarize_probability > 0.0 {
            kinds.push(StepKind::Solarize);
        }
        kinds
    }

    fn step(&self, kind: StepKind, output_size: usize) -> Step {
        match kind {
            StepKind::Crop => Step::CropAndFlip {
                scale: self.crop_scale,
                ratio: self.crop_ratio,
                flip_probability: self.flip_probability,
            },
            StepKind::Color => Step::Color {
                strength: self.color_strength,
                jitter_probability: self.jitter_probability,
                grayscale_probability: self.grayscale_probability,
            },
            StepKind::Blur => Step::Blur {
                probability: self.blur_probability,
                kernel_size: blur_kernel_size(output_size, self.blur_kernel_fraction),
                sigma_pixels: self.blur_sigma_pixels,
            },
            StepKind::Solarize => Step::Solarize {
                probability: self.solarize_probability,
                threshold: self.solarize_threshold as f32,
            },
            StepKind::Rotation => Step::Rotation,
            StepKind::Cutout => Step::Cutout {
                fraction: self.cutout_fraction,
                fill: self.cutout_fill,
            },
            StepKind::Sobel => Step::Sobel,
            StepKind::Noise => Step::Noise {
                std: self.noise_std as f32,
            },
        }
    }
}
