//! Separable Gaussian blur with reflect padding.

use super::FloatImage;

/// Builds the normalized 1-D Gaussian kernel of `kernel_size` taps, with
/// tap `i` proportional to `exp(-d^2 / (2 sigma^2))` for the distance
/// `d = i - (kernel_size - 1) / 2` in pixels.
pub fn gaussian_kernel(kernel_size: usize, sigma_pixels: f32) -> Vec<f32> {
    let center = (kernel_size as f64 - 1.0) / 2.0;
    let sigma = f64::from(sigma_pixels);
    let weights: Vec<f64> = (0..kernel_size)
        .map(|i| {
            let distance = i as f64 - center;
            (-(distance * distance) / (2.0 * sigma * sigma)).exp()
        })
        .collect();
    let total: f64 = weights.iter().sum();
    weights.iter().map(|w| (w / total) as f32).collect()
}

/// Maps a possibly out-of-range index into `0..len` by mirroring about the
/// edge pixels without repeating them (`-1 -> 1`, `len -> len - 2`).
///
/// Offsets of more than one image length keep bouncing between the edges.
pub fn reflect_index(index: isize, len: usize) -> usize {
    if len == 1 {
        return 0;
    }
    let period = 2 * (len as isize - 1);
    let folded = index.rem_euclid(period);
    if folded < len as isize {
        folded as usize
    } else {
        (period - folded) as usize
    }
}

/// Normalized kernel weights below this are skipped by [`gaussian_blur`].
///
/// Skipping changes each output value by less than
/// `kernel_size * MIN_TAP_WEIGHT` in absolute terms (about 2e-6 for the 23
/// taps of a 224-pixel view), and it halves the work for small sigmas.
pub const MIN_TAP_WEIGHT: f32 = 1e-7;

/// Blurs every channel with a `kernel_size x kernel_size` Gaussian of
/// standard deviation `sigma_pixels`, applied as a horizontal then a
/// vertical pass with reflect padding.
///
/// Outer taps with a weight below [`MIN_TAP_WEIGHT`] are left out; the
/// kept weights are those of the full normalized kernel.
///
/// An even `kernel_size` is accepted but centers the kernel half a pixel
/// off, so the pipeline only builds odd sizes.
pub fn gaussian_blur(image: &mut FloatImage, kernel_size: usize, sigma_pixels: f32) {
    if kernel_size <= 1 || image.plane_len() == 0 {
        return;
    }
    let full = gaussian_kernel(kernel_size, sigma_pixels);
    // The kernel is symmetric and peaks in the middle, so the taps to skip
    // are the same number at both ends.
    let skipped = full.iter().take_while(|&&w| w < MIN_TAP_WEIGHT).count();
    let kernel = &full[skipped..full.len() - skipped];
    let (height, width) = (image.height, image.width);
    let radius = (kernel.len() / 2) as isize;
    let mut padded_row = vec![0.0f32; width + kernel.len() - 1];
    let mut scratch = vec![0.0f32; height * width];
    for plane in image.planes_mut() {
        for y in 0..height {
            let row = &plane[y * width..(y + 1) * width];
            pad_row(row, radius as usize, &mut padded_row);
            convolve_row(
                &padded_row,
                kernel,
                &mut scratch[y * width..(y + 1) * width],
            );
        }
        convolve_columns(&scratch, kernel, width, height, plane);
    }
}

/// Copies `row` into the middle of `padded` and fills `radius` values on
/// each side by reflection.
fn pad_row(row: &[f32], radius: usize, padded: &mut [f32]) {
    let width = row.len();
    padded[radius..radius + width].copy_from_slice(row);
    for p in (0..radius).chain(radius + width..padded.len()) {
        padded[p] = row[reflect_index(p as isize - radius as isize, width)];
    }
}

/// Writes `out[x] = sum_t kernel[t] * padded[x + t]`.
fn convolve_row(padded: &[f32], kernel: &[f32], out: &mut [f32]) {
    out.fill(0.0);
    let width = out.len();
    for (t, &weight) in kernel.iter().enumerate() {
        for (value, &source) in out.iter_mut().zip(&padded[t..t + width]) {
            *value += weight * source;
        }
    }
}

/// Vertical pass from `source` into `out`, both `[height, width]`.
fn convolve_columns(source: &[f32], kernel: &[f32], width: usize, height: usize, out: &mut [f32]) {
    let radius = (kernel.len() / 2) as isize;
    for y in 0..height {
        let out_row = &mut out[y * width..(y + 1) * width];
        out_row.fill(0.0);
        for (t, &weight) in kernel.iter().enumerate() {
            let source_y = reflect_index(y as isize + t as isize - radius, height);
            let source_row = &source[source_y * width..(source_y + 1) * width];
            for (value, &input) in out_row.iter_mut().zip(source_row) {
                *value += weight * input;
            }
        }
    }
}
