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
    /// Taps for resizing `input_len` source pixels to `output_len` pixels.
    fn new(input_len: usize, output_len: usize, antialias: bool) -> Self {
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
            starts.push(window_start);
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

/// Row access to a source image, in units that `SCALE` maps to `[0, 1]`.
trait RgbSource {
    const SCALE: f32;
    /// Writes pixels `left .. left + width` of row `y` as three planes
    /// `[3, width]` into `out`.
    fn read_row(&self, y: usize, left: usize, width: usize, out: &mut [f32]);
}

impl RgbSource for Image {
    const SCALE: f32 = 1.0 / 255.0;
    fn read_row(&self, y: usize, left: usize, width: usize, out: &mut [f32]) {
        let start = (y * self.width + left) * 3;
        let pixels = self.rgb[start..start + width * 3].chunks_exact(3);
        let (red, rest) = out.split_at_mut(width);
        let (green, blue) = rest.split_at_mut(width);
        for (x, pixel) in pixels.enumerate() {
            red[x] = f32::from(pixel[0]);
            green[x] = f32::from(pixel[1]);
            blue[x] = f32::from(pixel[2]);
        }
    }
}

impl RgbSource for FloatImage {
    const SCALE: f32 = 1.0;
    fn read_row(&self, y: usize, left: usize, width: usize, out: &mut [f32]) {
        for (channel, plane) in self.planes().into_iter().enumerate() {
            let start = y * self.width + left;
            out[channel * width..(channel + 1) * width]
                .copy_from_slice(&plane[start..start + width]);
        }
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
    let columns = AxisWeights::new(crop.width, out_width, antialias);
    let rows = AxisWeights::new(crop.height, out_height, antialias);
    let rows_plane = crop.height * out_width;
    let mut horizontal = vec![0.0f32; 3 * rows_plane];
    let mut row_planes = vec![0.0f32; 3 * crop.width];
    for y in 0..crop.height {
        source.read_row(crop.top + y, crop.left, crop.width, &mut row_planes);
        for channel in 0..3 {
            let row = &row_planes[channel * crop.width..(channel + 1) * crop.width];
            let start = channel * rows_plane + y * out_width;
            let out = &mut horizontal[start..start + out_width];
            for (x, value) in out.iter_mut().enumerate() {
                let first = columns.starts[x];
                let taps = &row[first..first + columns.taps];
                let sum: f32 = columns
                    .taps_of(x)
                    .iter()
                    .zip(taps)
                    .map(|(w, v)| w * v)
                    .sum();
                *value = sum * S::SCALE;
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
