//! Cropping and bilinear resizing, with PyTorch 2.15 `interpolate`
//! semantics: half-pixel centers (`align_corners=False`), and with
//! `antialias` a triangle filter whose support grows with the downscale
//! factor, like PIL's.

use super::FloatImage;
use crate::data::Image;

/// A crop rectangle in pixels of the source image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CropBox {
    pub top: usize,
    pub left: usize,
    pub height: usize,
    pub width: usize,
}

impl CropBox {
    /// The box covering a whole `height x width` image.
    pub fn full(height: usize, width: usize) -> Self {
        CropBox {
            top: 0,
            left: 0,
            height,
            width,
        }
    }
}

/// Filter taps of one resize axis: output index `o` reads source indices
/// `starts[o] .. starts[o] + taps` with `weights[o * taps ..][..taps]`.
struct AxisWeights {
    starts: Vec<usize>,
    taps: usize,
    weights: Vec<f32>,
}

impl AxisWeights {
    /// Taps for resizing `input_len` source pixels (starting at `offset`)
    /// to `output_len` pixels.
    fn new(offset: usize, input_len: usize, output_len: usize, antialias: bool) -> Self {
        let scale = input_len as f64 / output_len as f64;
        let per_output: Vec<(usize, Vec<f64>)> = (0..output_len)
            .map(|o| {
                if antialias {
                    triangle_taps(o, scale, input_len)
                } else {
                    bilinear_taps(o, scale, input_len)
                }
            })
            .collect();
        let taps = per_output.iter().map(|(_, w)| w.len()).max().unwrap_or(1);
        let mut starts = Vec::with_capacity(output_len);
        let mut weights = vec![0.0f32; output_len * taps];
        for (o, (start, row)) in per_output.into_iter().enumerate() {
            // Every window has `taps` entries, so a short one near the far
            // edge starts earlier and gets leading zero weights.
            let window_start = start.min(input_len - taps);
            let first_slot = o * taps + (start - window_start);
            for (j, w) in row.iter().enumerate() {
                weights[first_slot + j] = *w as f32;
            }
            starts.push(offset + window_start);
        }
        AxisWeights {
            starts,
            taps,
            weights,
        }
    }

    fn taps_of(&self, output_index: usize) -> &[f32] {
        &self.weights[output_index * self.taps..(output_index + 1) * self.taps]
    }
}

/// Plain bilinear taps: source position `scale * (o + 0.5) - 0.5`, clamped
/// at 0, between its two neighbours.
fn bilinear_taps(output_index: usize, scale: f64, input_len: usize) -> (usize, Vec<f64>) {
    let position = (scale * (output_index as f64 + 0.5) - 0.5).max(0.0);
    let first = (position as usize).min(input_len - 1);
    let fraction = (position - first as f64).clamp(0.0, 1.0);
    if first + 1 < input_len {
        (first, vec![1.0 - fraction, fraction])
    } else {
        (first, vec![1.0])
    }
}

/// Antialiased taps: a triangle filter of half-width `max(scale, 1)` source
/// pixels around the output center, normalized over the taps inside the
/// source.
fn triangle_taps(output_index: usize, scale: f64, input_len: usize) -> (usize, Vec<f64>) {
    let support = scale.max(1.0);
    let inverse_scale = 1.0 / support;
    let center = scale * (output_index as f64 + 0.5);
    // Truncation toward zero matches the integer casts PyTorch uses.
    let first = ((center - support + 0.5) as i64).max(0) as usize;
    let end = ((center + support + 0.5) as i64).min(input_len as i64) as usize;
    let mut weights: Vec<f64> = (first..end.max(first + 1))
        .map(|j| {
            let distance = ((j as f64 - center + 0.5) * inverse_scale).abs();
            (1.0 - distance).max(0.0)
        })
        .collect();
    let total: f64 = weights.iter().sum();
    if total > 0.0 {
        weights.iter_mut().for_each(|w| *w /= total);
    }
    (first.min(input_len - 1), weights)
}

/// Read access to RGB values of a source image, in units where `scale`
/// maps them to `[0, 1]`.
trait RgbSource {
    const SCALE: f32;
    fn rgb_at(&self, y: usize, x: usize) -> [f32; 3];
}

impl RgbSource for Image {
    const SCALE: f32 = 1.0 / 255.0;
    fn rgb_at(&self, y: usize, x: usize) -> [f32; 3] {
        let i = (y * self.width + x) * 3;
        [
            f32::from(self.rgb[i]),
            f32::from(self.rgb[i + 1]),
            f32::from(self.rgb[i + 2]),
        ]
    }
}

impl RgbSource for FloatImage {
    const SCALE: f32 = 1.0;
    fn rgb_at(&self, y: usize, x: usize) -> [f32; 3] {
        let plane = self.plane_len();
        let i = y * self.width + x;
        [self.data[i], self.data[plane + i], self.data[2 * plane + i]]
    }
}

/// Crops `crop` out of `image` and resizes it to `out_height x out_width`
/// with bilinear interpolation, antialiased when `antialias` is set.
///
/// # Panics
/// If the box does not lie inside the image or has a zero side.
pub fn resized_crop(
    image: &FloatImage,
    crop: CropBox,
    out_height: usize,
    out_width: usize,
    antialias: bool,
) -> FloatImage {
    check_box(crop, image.height, image.width);
    resize_source(image, crop, out_height, out_width, antialias)
}

/// Same as [`resized_crop`], reading an 8-bit image directly so that only
/// the crop box is converted to float.
///
/// # Panics
/// If the box does not lie inside the image or has a zero side.
pub fn resized_crop_rgb8(
    image: &Image,
    crop: CropBox,
    out_height: usize,
    out_width: usize,
    antialias: bool,
) -> FloatImage {
    check_box(crop, image.height, image.width);
    resize_source(image, crop, out_height, out_width, antialias)
}

fn check_box(crop: CropBox, height: usize, width: usize) {
    assert!(
        crop.height > 0
            && crop.width > 0
            && crop.top + crop.height <= height
            && crop.left + crop.width <= width,
        "crop box {crop:?} is not inside a {height}x{width} image"
    );
}

/// Horizontal pass over the crop rows into a `[3, crop.height, out_width]`
/// buffer, then a vertical pass into the output.
fn resize_source<S: RgbSource>(
    source: &S,
    crop: CropBox,
    out_height: usize,
    out_width: usize,
    antialias: bool,
) -> FloatImage {
    let columns = AxisWeights::new(crop.left, crop.width, out_width, antialias);
    let rows = AxisWeights::new(0, crop.height, out_height, antialias);
    let rows_plane = crop.height * out_width;
    let mut horizontal = vec![0.0f32; 3 * rows_plane];
    for y in 0..crop.height {
        for x in 0..out_width {
            let mut sum = [0.0f32; 3];
            for (j, &w) in columns.taps_of(x).iter().enumerate() {
                let rgb = source.rgb_at(crop.top + y, columns.starts[x] + j);
                sum[0] += w * rgb[0];
                sum[1] += w * rgb[1];
                sum[2] += w * rgb[2];
            }
            for (channel, value) in sum.iter().enumerate() {
                horizontal[channel * rows_plane + y * out_width + x] = value * S::SCALE;
            }
        }
    }
    let mut output = FloatImage::zeros(out_height, out_width);
    for (channel, plane) in output.planes_mut().into_iter().enumerate() {
        let source_plane = &horizontal[channel * rows_plane..(channel + 1) * rows_plane];
        for y in 0..out_height {
            let out_row = &mut plane[y * out_width..(y + 1) * out_width];
            for (j, &w) in rows.taps_of(y).iter().enumerate() {
                let source_y = rows.starts[y] + j;
                let source_row = &source_plane[source_y * out_width..(source_y + 1) * out_width];
                for (value, &input) in out_row.iter_mut().zip(source_row) {
                    *value += w * input;
                }
            }
        }
    }
    output
}
