//! Shapes of a 2-D convolution and the im2col / col2im layout changes that
//! turn it into matrix products.
//!
//! The column matrix of a group of `g` images has one row per
//! `(input channel, kernel row, kernel column)` and one column per
//! `(image, output row, output column)`: `K x (g * P)` row-major, with
//! `K = Cin * kh * kw` and `P = Hout * Wout`.

use crate::{Error, Result};

/// Sizes of a dense (one group, dilation 1) 2-D convolution on NCHW data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvGeometry {
    pub batch: usize,
    pub in_channels: usize,
    pub out_channels: usize,
    pub in_height: usize,
    pub in_width: usize,
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    pub out_height: usize,
    pub out_width: usize,
}

impl ConvGeometry {
    /// Builds the geometry of input `[N, Cin, H, W]` and weight
    /// `[Cout, Cin, kh, kw]`.
    ///
    /// # Errors
    ///
    /// [`Error::Shape`] if the channel counts differ, a stride is zero or
    /// the padded input is smaller than the kernel.
    pub fn new(
        input: [usize; 4],
        weight: [usize; 4],
        stride: [usize; 2],
        padding: [usize; 2],
    ) -> Result<Self> {
        let [batch, in_channels, in_height, in_width] = input;
        let [out_channels, weight_in_channels, kernel_h, kernel_w] = weight;
        let shape_error = |message: String| Error::Shape {
            op: "conv2d".into(),
            message,
        };
        if weight_in_channels != in_channels {
            return Err(shape_error(format!(
                "input has {in_channels} channels but the weight expects {weight_in_channels}"
            )));
        }
        if stride.contains(&0) {
            return Err(shape_error(format!("stride {stride:?} contains a zero")));
        }
        let out_size = |size: usize, kernel: usize, axis: usize| {
            let padded = size + 2 * padding[axis];
            (padded >= kernel && kernel > 0).then(|| (padded - kernel) / stride[axis] + 1)
        };
        let (Some(out_height), Some(out_width)) = (
            out_size(in_height, kernel_h, 0),
            out_size(in_width, kernel_w, 1),
        ) else {
            return Err(shape_error(format!(
                "kernel {kernel_h}x{kernel_w} does not fit the input {in_height}x{in_width} \
                 with padding {padding:?}"
            )));
        };
        Ok(Self {
            batch,
            in_channels,
            out_channels,
            in_height,
            in_width,
            kernel: [kernel_h, kernel_w],
            stride,
            padding,
            out_height,
            out_width,
        })
    }

    /// Rows of the column matrix, `Cin * kh * kw`.
    pub fn col_rows(&self) -> usize {
        self.in_channels * self.kernel[0] * self.kernel[1]
    }

    /// Output positions per image, `Hout * Wout`.
    pub fn out_plane(&self) -> usize {
        self.out_height * self.out_width
    }

    pub fn in_plane(&self) -> usize {
        self.in_height * self.in_width
    }

    /// Returns whether the column matrix of one image is the image itself (a 1x1
    /// kernel with stride 1 and no padding), so no im2col is needed.
    pub fn is_pointwise(&self) -> bool {
        self.kernel == [1, 1] && self.stride == [1, 1] && self.padding == [0, 0]
    }

    /// Returns the images per matrix product: enough that a product has at least
    /// `min_columns` output positions, so the small planes of late ResNet
    /// stages still give well-shaped products.
    pub fn group_size(&self, min_columns: usize) -> usize {
        min_columns
            .div_ceil(self.out_plane().max(1))
            .clamp(1, self.batch.max(1))
    }
}

/// Writes the column matrix of `images` consecutive images starting at
/// `input` (NCHW, `images * Cin * H * W` values) into `cols`
/// (`K x (images * P)`), with zeros where the kernel reads padding.
pub fn im2col(geometry: &ConvGeometry, input: &[f32], images: usize, cols: &mut [f32]) {
    let g = geometry;
    let [kernel_h, kernel_w] = g.kernel;
    let [stride_h, stride_w] = g.stride;
    let [pad_h, pad_w] = g.padding;
    let plane = g.out_plane();
    let row_len = images * plane;
    let image_len = g.in_channels * g.in_plane();
    for (row, col_row) in cols[..g.col_rows() * row_len]
        .chunks_exact_mut(row_len)
        .enumerate()
    {
        let channel = row / (kernel_h * kernel_w);
        let ky = row / kernel_w % kernel_h;
        let kx = row % kernel_w;
        for image in 0..images {
            let source = &input[image * image_len + channel * g.in_plane()..][..g.in_plane()];
            let dest = &mut col_row[image * plane..][..plane];
            for (oy, dest_row) in dest.chunks_exact_mut(g.out_width).enumerate() {
                let iy = (oy * stride_h + ky) as isize - pad_h as isize;
                if iy < 0 || iy >= g.in_height as isize {
                    dest_row.fill(0.0);
                    continue;
                }
                let source_row = &source[iy as usize * g.in_width..][..g.in_width];
                copy_kernel_row(source_row, dest_row, kx, stride_w, pad_w);
            }
        }
    }
}

/// Fills one output row of the column matrix: `dest[ox]` is
/// `source[ox * stride + kx - pad]`, or zero outside `source`.
fn copy_kernel_row(source: &[f32], dest: &mut [f32], kx: usize, stride: usize, pad: usize) {
    let width = source.len() as isize;
    let offset = kx as isize - pad as isize;
    // Output columns whose input column falls inside the row: ox in [first, end).
    let first = if offset >= 0 {
        0
    } else {
        (-offset as usize).div_ceil(stride)
    };
    let end = if width - offset <= 0 {
        0
    } else {
        ((width - offset) as usize).div_ceil(stride).min(dest.len())
    };
    let first = first.min(end);
    dest[..first].fill(0.0);
    dest[end..].fill(0.0);
    if stride == 1 {
        let start = (first as isize + offset) as usize;
        dest[first..end].copy_from_slice(&source[start..start + end - first]);
    } else {
        for (ox, value) in dest[first..end].iter_mut().enumerate() {
            *value = source[(((first + ox) * stride) as isize + offset) as usize];
        }
    }
}

/// Adds the column matrix `cols` (`K x (images * P)`) back onto `images`
/// consecutive images at `output` (NCHW), the adjoint of [`im2col`].
/// `output` must start zeroed or hold values to accumulate onto.
pub fn col2im_add(geometry: &ConvGeometry, cols: &[f32], images: usize, output: &mut [f32]) {
    let g = geometry;
    let [kernel_h, kernel_w] = g.kernel;
    let [stride_h, stride_w] = g.stride;
    let [pad_h, pad_w] = g.padding;
    let plane = g.out_plane();
    let row_len = images * plane;
    let image_len = g.in_channels * g.in_plane();
    for image in 0..images {
        let image_out = &mut output[image * image_len..][..image_len];
        for (channel, channel_out) in image_out.chunks_exact_mut(g.in_plane()).enumerate() {
            for ky in 0..kernel_h {
                for kx in 0..kernel_w {
                    let row = (channel * kernel_h + ky) * kernel_w + kx;
                    let source = &cols[row * row_len + image * plane..][..plane];
                    for (oy, source_row) in source.chunks_exact(g.out_width).enumerate() {
                        let iy = (oy * stride_h + ky) as isize - pad_h as isize;
                        if iy < 0 || iy >= g.in_height as isize {
                            continue;
                        }
                        let dest_row = &mut channel_out[iy as usize * g.in_width..][..g.in_width];
                        add_kernel_row(source_row, dest_row, kx, stride_w, pad_w);
                    }
                }
            }
        }
    }
}

/// Adds `source[ox]` onto `dest[ox * stride + kx - pad]` where that index
/// falls inside `dest`.
fn add_kernel_row(source: &[f32], dest: &mut [f32], kx: usize, stride: usize, pad: usize) {
    let width = dest.len() as isize;
    let offset = kx as isize - pad as isize;
    let first = if offset >= 0 {
        0
    } else {
        (-offset as usize).div_ceil(stride)
    };
    let end = if width - offset <= 0 {
        0
    } else {
        ((width - offset) as usize)
            .div_ceil(stride)
            .min(source.len())
    };
    if first >= end {
        return;
    }
    if stride == 1 {
        let start = (first as isize + offset) as usize;
        let dest = &mut dest[start..start + end - first];
        for (d, s) in dest.iter_mut().zip(&source[first..end]) {
            *d += s;
        }
    } else {
        for (ox, value) in source[first..end].iter().enumerate() {
            dest[(((first + ox) * stride) as isize + offset) as usize] += value;
        }
    }
}
