//! Ops that SimCLR's augmentation ablation (Chen et al. 2020) compares with
//! its default ones: cutout, Sobel filtering and Gaussian noise. Also the
//! per-channel normalization that ends a pipeline.

use super::blur::reflect_index;
use super::color::luma_plane;
use super::FloatImage;
use rand::Rng;

/// Value written into a cutout square.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CutoutFill {
    /// Black (0 in every channel).
    Zero,
    /// The mean of each channel over the whole image.
    Mean,
}

/// Fills the `side x side` square whose top left corner is `(top, left)`,
/// clipped to the image.
pub fn cutout(image: &mut FloatImage, top: usize, left: usize, side: usize, fill: CutoutFill) {
    let (height, width) = (image.height, image.width);
    let bottom = (top + side).min(height);
    let right = (left + side).min(width);
    for plane in image.planes_mut() {
        let value = match fill {
            CutoutFill::Zero => 0.0,
            CutoutFill::Mean => mean(plane),
        };
        for y in top.min(bottom)..bottom {
            plane[y * width + left.min(right)..y * width + right].fill(value);
        }
    }
}

fn mean(values: &[f32]) -> f32 {
    let sum: f64 = values.iter().map(|&v| f64::from(v)).sum();
    (sum / values.len().max(1) as f64) as f32
}

/// Replaces the image by the Sobel gradient magnitude of its luma, divided
/// by the image's largest magnitude so it spans `[0, 1]`, in all three
/// channels. Borders use reflect padding; a flat image becomes black.
pub fn sobel(image: &mut FloatImage) {
    let (height, width) = (image.height, image.width);
    let mut gray = vec![0.0f32; height * width];
    luma_plane(image, &mut gray);
    let at = |y: isize, x: isize| gray[reflect_index(y, height) * width + reflect_index(x, width)];
    let mut magnitude = vec![0.0f32; height * width];
    let mut largest = 0.0f32;
    for y in 0..height as isize {
        for x in 0..width as isize {
            let gx = (at(y - 1, x + 1) + 2.0 * at(y, x + 1) + at(y + 1, x + 1))
                - (at(y - 1, x - 1) + 2.0 * at(y, x - 1) + at(y + 1, x - 1));
            let gy = (at(y + 1, x - 1) + 2.0 * at(y + 1, x) + at(y + 1, x + 1))
                - (at(y - 1, x - 1) + 2.0 * at(y - 1, x) + at(y - 1, x + 1));
            let value = (gx * gx + gy * gy).sqrt();
            largest = largest.max(value);
            magnitude[y as usize * width + x as usize] = value;
        }
    }
    let scale = if largest > 0.0 { 1.0 / largest } else { 0.0 };
    for plane in image.planes_mut() {
        for (out, &value) in plane.iter_mut().zip(&magnitude) {
            *out = value * scale;
        }
    }
}

/// Adds independent normal noise of standard deviation `std` to every value
/// and clamps to `[0, 1]`. Normal draws use the Box-Muller transform.
pub fn gaussian_noise<R: Rng + ?Sized>(image: &mut FloatImage, std: f32, rng: &mut R) {
    for pair in image.data.chunks_mut(2) {
        // 1 - u lies in (0, 1], so the logarithm stays finite.
        let radius = (-2.0 * (1.0 - rng.random::<f32>()).ln()).sqrt() * std;
        let angle = std::f32::consts::TAU * rng.random::<f32>();
        let noise = [radius * angle.cos(), radius * angle.sin()];
        for (value, delta) in pair.iter_mut().zip(noise) {
            *value = (*value + delta).clamp(0.0, 1.0);
        }
    }
}

/// Computes `(value - mean[c]) / std[c]` for each channel `c`.
pub fn normalize(image: &mut FloatImage, mean: [f32; 3], std: [f32; 3]) {
    for (channel, plane) in image.planes_mut().into_iter().enumerate() {
        let inverse = 1.0 / std[channel];
        for value in plane.iter_mut() {
            *value = (*value - mean[channel]) * inverse;
        }
    }
}
