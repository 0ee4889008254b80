//! A built list of random augmentation steps and its per-view application.

use super::ablation::{cutout, gaussian_noise, normalize, sobel, CutoutFill};
use super::blur::gaussian_blur;
use super::color::{rgb_to_grayscale, solarize};
use super::geometry::{horizontal_flip, rotate_quarter_turns};
use super::resample::{resized_crop, resized_crop_rgb8, CropBox};
use super::sampling::{apply_jitter, sample_crop_box, sample_jitter, uniform, JitterParams};
use super::view_rng;
use super::FloatImage;
use crate::data::Image;
use rand::Rng;

/// One random augmentation with its fixed settings.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// RandomResizedCrop to the output size (bilinear, antialiased), then a
    /// horizontal flip with `flip_probability`.
    CropAndFlip {
        scale: [f64; 2],
        ratio: [f64; 2],
        flip_probability: f64,
    },
    /// Resizes the whole image to the output size (bilinear, antialiased),
    /// for step lists without a crop.
    Resize,
    /// With `jitter_probability` a color jitter of strength `strength`, then
    /// grayscale with `grayscale_probability`.
    Color {
        strength: f64,
        jitter_probability: f64,
        grayscale_probability: f64,
    },
    /// With `probability` a Gaussian blur with sigma drawn uniformly from
    /// `sigma_pixels`.
    Blur {
        probability: f64,
        kernel_size: usize,
        sigma_pixels: [f64; 2],
    },
    /// With `probability` inverts the values at or above `threshold`.
    Solarize { probability: f64, threshold: f32 },
    /// Rotates by 1, 2 or 3 quarter turns, drawn uniformly.
    Rotation,
    /// Fills a square of side `fraction * min(height, width)` at a uniform
    /// position inside the image.
    Cutout { fraction: f64, fill: CutoutFill },
    /// Replaces the image by its Sobel gradient magnitude.
    Sobel,
    /// Adds Gaussian noise of standard deviation `std`.
    Noise { std: f32 },
    /// Per-channel `(value - mean) / std`.
    Normalize { mean: [f32; 3], std: [f32; 3] },
}

/// The random choices made for one view, for tests and inspection.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ViewRecord {
    /// Crop box in source pixels, when a crop ran.
    pub crop: Option<CropBox>,
    pub flipped: bool,
    /// Jitter parameters, when the jitter ran.
    pub jitter: Option<JitterParams>,
    pub grayscale: bool,
    /// Blur standard deviation, when the blur ran.
    pub blur_sigma_pixels: Option<f32>,
    pub solarized: bool,
    pub quarter_turns: u32,
    /// The filled square, when a cutout ran.
    pub cutout: Option<CropBox>,
}

/// The steps that turn a source image into one view of side `output_size`.
#[derive(Clone, Debug, PartialEq)]
pub struct ViewPipeline {
    output_size: usize,
    steps: Vec<Step>,
}

impl ViewPipeline {
    /// Wraps a step list. A list without [`Step::CropAndFlip`] must start
    /// with [`Step::Resize`] for views to have the output size.
    pub fn new(output_size: usize, steps: Vec<Step>) -> Self {
        ViewPipeline { output_size, steps }
    }

    /// Side of the square views in pixels.
    pub fn output_size(&self) -> usize {
        self.output_size
    }

    /// The steps in the order they run.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The same pipeline without its normalization step, for display.
    pub fn without_normalize(&self) -> ViewPipeline {
        let steps = self
            .steps
            .iter()
            .filter(|step| !matches!(step, Step::Normalize { .. }))
            .cloned()
            .collect();
        ViewPipeline::new(self.output_size, steps)
    }

    /// Draws one view of `image`.
    pub fn apply(&self, image: &Image, rng: &mut impl Rng) -> FloatImage {
        self.apply_recorded(image, rng).0
    }

    /// Draws one view of `image` and records the random choices made.
    ///
    /// # Panics
    /// If `image` has a zero side, because no crop box fits it.
    pub fn apply_recorded<R: Rng + ?Sized>(
        &self,
        image: &Image,
        rng: &mut R,
    ) -> (FloatImage, ViewRecord) {
        let mut record = ViewRecord::default();
        let mut view: Option<FloatImage> = None;
        for step in &self.steps {
            let next = match (step, view.take()) {
                (Step::CropAndFlip { .. }, None) => self.crop_rgb8(step, image, rng, &mut record),
                (Step::Resize, None) => self.resize_rgb8(image),
                (_, current) => {
                    let current = current.unwrap_or_else(|| FloatImage::from_image(image));
                    self.apply_float(step, current, rng, &mut record)
                }
            };
            view = Some(next);
        }
        let view = view.unwrap_or_else(|| FloatImage::from_image(image));
        (view, record)
    }

    /// Draws the two views of image `index` in `epoch` from one RNG seeded
    /// by [`view_rng`], so a rerun or resumed run gets the same views.
    pub fn two_views(
        &self,
        image: &Image,
        seed: u64,
        epoch: u64,
        index: u64,
    ) -> (FloatImage, FloatImage) {
        let mut rng = view_rng(seed, epoch, index);
        let first = self.apply(image, &mut rng);
        let second = self.apply(image, &mut rng);
        (first, second)
    }

    fn crop_rgb8<R: Rng + ?Sized>(
        &self,
        step: &Step,
        image: &Image,
        rng: &mut R,
        record: &mut ViewRecord,
    ) -> FloatImage {
        let crop = draw_crop(step, image.height, image.width, rng);
        let mut view = resized_crop_rgb8(image, crop, self.output_size, self.output_size, true);
        self.finish_crop(step, &mut view, crop, rng, record);
        view
    }

    fn resize_rgb8(&self, image: &Image) -> FloatImage {
        let side = self.output_size;
        if image.height == side && image.width == side {
            return FloatImage::from_image(image);
        }
        let full = CropBox::full(image.height, image.width);
        resized_crop_rgb8(image, full, side, side, true)
    }

    fn finish_crop<R: Rng + ?Sized>(
        &self,
        step: &Step,
        view: &mut FloatImage,
        crop: CropBox,
        rng: &mut R,
        record: &mut ViewRecord,
    ) {
        record.crop = Some(crop);
        if let Step::CropAndFlip {
            flip_probability, ..
        } = step
        {
            if rng.random::<f64>() < *flip_probability {
                horizontal_flip(view);
                record.flipped = true;
            }
        }
    }

    /// Runs one step on a float view.
    fn apply_float<R: Rng + ?Sized>(
        &self,
        step: &Step,
        mut view: FloatImage,
        rng: &mut R,
        record: &mut ViewRecord,
    ) -> FloatImage {
        match step {
            Step::CropAndFlip { .. } => {
                let crop = draw_crop(step, view.height, view.width, rng);
                let side = self.output_size;
                let mut cropped = resized_crop(&view, crop, side, side, true);
                self.finish_crop(step, &mut cropped, crop, rng, record);
                return cropped;
            }
            Step::Resize => {
                let full = CropBox::full(view.height, view.width);
                let side = self.output_size;
                return resized_crop(&view, full, side, side, true);
            }
            Step::Rotation => {
                let turns = rng.random_range(1..=3u32);
                record.quarter_turns = turns;
                return rotate_quarter_turns(&view, turns);
            }
            _ => apply_in_place(step, &mut view, rng, record),
        }
        view
    }
}

/// Draws the crop box of a [`Step::CropAndFlip`] step.
fn draw_crop<R: Rng + ?Sized>(step: &Step, height: usize, width: usize, rng: &mut R) -> CropBox {
    match step {
        Step::CropAndFlip { scale, ratio, .. } => {
            sample_crop_box(height, width, *scale, *ratio, rng)
        }
        _ => CropBox::full(height, width),
    }
}

/// Runs a step that keeps the view's size.
fn apply_in_place<R: Rng + ?Sized>(
    step: &Step,
    view: &mut FloatImage,
    rng: &mut R,
    record: &mut ViewRecord,
) {
    match *step {
        Step::Color {
            strength,
            jitter_probability,
            grayscale_probability,
        } => {
            if rng.random::<f64>() < jitter_probability {
                let params = sample_jitter(strength, rng);
                apply_jitter(view, &params);
                record.jitter = Some(params);
            }
            if rng.random::<f64>() < grayscale_probability {
                rgb_to_grayscale(view);
                record.grayscale = true;
            }
        }
        Step::Blur {
            probability,
            kernel_size,
            sigma_pixels,
        } => {
            if rng.random::<f64>() < probability {
                let sigma = uniform(rng, sigma_pixels[0], sigma_pixels[1]) as f32;
                gaussian_blur(view, kernel_size, sigma);
                record.blur_sigma_pixels = Some(sigma);
            }
        }
        Step::Solarize {
            probability,
            threshold,
        } => {
            if rng.random::<f64>() < probability {
                solarize(view, threshold);
                record.solarized = true;
            }
        }
        Step::Cutout { fraction, fill } => {
            let side = ((fraction * view.height.min(view.width) as f64).round() as usize).max(1);
            let top = rng.random_range(0..=view.height.saturating_sub(side));
            let left = rng.random_range(0..=view.width.saturating_sub(side));
            cutout(view, top, left, side, fill);
            record.cutout = Some(CropBox {
                top,
                left,
                height: side,
                width: side,
            });
        }
        Step::Sobel => sobel(view),
        Step::Noise { std } => gaussian_noise(view, std, rng),
        Step::Normalize { mean, std } => normalize(view, mean, std),
        Step::CropAndFlip { .. } | Step::Resize | Step::Rotation => {}
    }
}
