//! Forward, input-gradient and weight-gradient kernels of a dense 2-D
//! convolution on contiguous NCHW `f32` slices, each one matrix product per
//! group of images.
//!
//! Work is split over images on the rayon pool, and each matrix product
//! runs single-threaded inside its task. Column matrices and gathered
//! gradients live in per-thread buffers that are reused across calls, so a
//! step allocates only its outputs.

use std::cell::RefCell;
use std::thread::LocalKey;

use rayon::prelude::*;

use super::geometry::{col2im_add, im2col, ConvGeometry};

/// Output positions a matrix product should see at least; smaller planes
/// are grouped across images.
const MIN_COLUMNS: usize = 256;

/// Tasks per rayon thread that image grouping keeps available, so that
/// small batches still spread over all threads.
const TASKS_PER_THREAD: usize = 4;

thread_local! {
    static COLUMNS: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    static GATHERED: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Runs `body` on the first `len` values of this thread's buffer `key`,
/// growing it when needed. The values are left over from earlier calls.
fn with_buffer<R>(
    key: &'static LocalKey<RefCell<Vec<f32>>>,
    len: usize,
    body: impl FnOnce(&mut [f32]) -> R,
) -> R {
    key.with(|cell| {
        let mut buffer = cell.borrow_mut();
        if buffer.len() < len {
            buffer.resize(len, 0.0);
        }
        body(&mut buffer[..len])
    })
}

/// Row-major matrix operand: `data[row * row_stride + col * col_stride]`.
#[derive(Clone, Copy)]
struct Matrix<'a> {
    data: &'a [f32],
    row_stride: usize,
    col_stride: usize,
}

impl<'a> Matrix<'a> {
    fn new(data: &'a [f32], row_stride: usize, col_stride: usize) -> Self {
        Self {
            data,
            row_stride,
            col_stride,
        }
    }

    fn check(&self, rows: usize, cols: usize) {
        if rows > 0 && cols > 0 {
            let last = (rows - 1) * self.row_stride + (cols - 1) * self.col_stride;
            assert!(last < self.data.len(), "matrix operand out of bounds");
        }
    }
}

/// Computes `dst = lhs * rhs`, or `dst += lhs * rhs` when `accumulate`, for
/// an `m x k` times `k x n` product into row-major `dst` (`m x n`, row
/// stride `n`), single-threaded.
fn matmul(
    [m, n, k]: [usize; 3],
    dst: &mut [f32],
    accumulate: bool,
    lhs: Matrix<'_>,
    rhs: Matrix<'_>,
) {
    assert!(dst.len() >= m * n, "matrix product output out of bounds");
    lhs.check(m, k);
    rhs.check(k, n);
    if m == 0 || n == 0 {
        return;
    }
    // SAFETY: the asserts above keep every index gemm reads or writes
    // inside the slices, `dst` is borrowed mutably so it aliases neither
    // operand, and the strides fit in isize because the slices do.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            lhs.data.as_ptr(),
            lhs.col_stride as isize,
            lhs.row_stride as isize,
            rhs.data.as_ptr(),
            rhs.col_stride as isize,
            rhs.row_stride as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// Images per task for `geometry`.
fn images_per_task(geometry: &ConvGeometry) -> usize {
    let tasks = rayon::current_num_threads() * TASKS_PER_THREAD;
    let balanced = geometry.batch.div_ceil(tasks).max(1);
    geometry.group_size(MIN_COLUMNS).min(balanced)
}

/// Copies `images` consecutive `[C, P]` planes into one `C x (images * P)`
/// matrix.
fn gather_planes(planes: &[f32], matrix: &mut [f32], channels: usize, plane: usize) {
    let columns = planes.len() / channels;
    for (index, planar) in planes.chunks_exact(plane).enumerate() {
        let (image, channel) = (index / channels, index % channels);
        matrix[channel * columns + image * plane..][..plane].copy_from_slice(planar);
    }
}

/// Copies a `C x (images * P)` matrix out to `images` consecutive `[C, P]`
/// planes, the inverse of [`gather_planes`].
fn scatter_planes(matrix: &[f32], planes: &mut [f32], channels: usize, plane: usize) {
    let columns = planes.len() / channels;
    for (index, planar) in planes.chunks_exact_mut(plane).enumerate() {
        let (image, channel) = (index / channels, index % channels);
        planar.copy_from_slice(&matrix[channel * columns + image * plane..][..plane]);
    }
}

/// Computes the convolution of `input` (`[N, Cin, H, W]`) with `weight`
/// (`[Cout, Cin, kh, kw]`), returning `[N, Cout, Hout, Wout]`.
pub fn conv2d_forward(geometry: &ConvGeometry, input: &[f32], weight: &[f32]) -> Vec<f32> {
    let g = *geometry;
    let (plane, rows, out_channels) = (g.out_plane(), g.col_rows(), g.out_channels);
    let in_image = g.in_channels * g.in_plane();
    let group = images_per_task(&g);
    let mut output = vec![0.0; g.batch * out_channels * plane];
    if output.is_empty() {
        return output;
    }
    let weights = Matrix::new(weight, rows, 1);
    output
        .par_chunks_mut(group * out_channels * plane)
        .zip(input.par_chunks(group * in_image))
        .for_each(|(out, images_in)| {
            let images = out.len() / (out_channels * plane);
            let columns = images * plane;
            let shape = [out_channels, columns, rows];
            if images == 1 && g.is_pointwise() {
                return matmul(shape, out, false, weights, Matrix::new(images_in, plane, 1));
            }
            with_buffer(&COLUMNS, rows * columns, |cols| {
                im2col(&g, images_in, images, cols);
                let cols = Matrix::new(cols, columns, 1);
                if images == 1 {
                    return matmul(shape, out, false, weights, cols);
                }
                with_buffer(&GATHERED, out_channels * columns, |grouped| {
                    matmul(shape, grouped, false, weights, cols);
                    scatter_planes(grouped, out, out_channels, plane);
                });
            });
        });
    output
}

/// Computes the gradient of the convolution's input from the output
/// gradient `grad` (`[N, Cout, Hout, Wout]`), returning `[N, Cin, H, W]`:
/// `W^T * grad` per group of images, folded back with col2im.
pub fn conv2d_input_grad(geometry: &ConvGeometry, weight: &[f32], grad: &[f32]) -> Vec<f32> {
    let g = *geometry;
    let (plane, rows, out_channels) = (g.out_plane(), g.col_rows(), g.out_channels);
    let in_image = g.in_channels * g.in_plane();
    let group = images_per_task(&g);
    let mut input_grad = vec![0.0; g.batch * in_image];
    if input_grad.is_empty() {
        return input_grad;
    }
    // W^T: element (row, channel) is weight[channel * rows + row].
    let weights_t = Matrix::new(weight, 1, rows);
    input_grad
        .par_chunks_mut(group * in_image)
        .zip(grad.par_chunks(group * out_channels * plane))
        .for_each(|(dx, dy)| {
            let images = dx.len() / in_image;
            let columns = images * plane;
            let shape = [rows, columns, out_channels];
            if images == 1 && g.is_pointwise() {
                return matmul(shape, dx, false, weights_t, Matrix::new(dy, plane, 1));
            }
            with_buffer(&GATHERED, out_channels * columns, |grouped| {
                let dy_matrix = if images == 1 {
                    Matrix::new(dy, plane, 1)
                } else {
                    gather_planes(dy, grouped, out_channels, plane);
                    Matrix::new(grouped, columns, 1)
                };
                with_buffer(&COLUMNS, rows * columns, |cols| {
                    matmul(shape, cols, false, weights_t, dy_matrix);
                    col2im_add(&g, cols, images, dx);
                });
            });
        });
    input_grad
}

/// Computes the gradient of the convolution's weight from the input and
/// the output gradient, returning `[Cout, Cin, kh, kw]`:
/// `sum over images of grad * im2col(input)^T`. Each rayon thread sums a
/// contiguous range of images into its own copy, and the copies are added.
pub fn conv2d_weight_grad(geometry: &ConvGeometry, input: &[f32], grad: &[f32]) -> Vec<f32> {
    let g = *geometry;
    let (plane, rows, out_channels) = (g.out_plane(), g.col_rows(), g.out_channels);
    let in_image = g.in_channels * g.in_plane();
    let group = images_per_task(&g);
    let groups = g.batch.div_ceil(group);
    let threads = rayon::current_num_threads().clamp(1, groups.max(1));
    let partial_sums: Vec<Vec<f32>> = (0..threads)
        .into_par_iter()
        .map(|thread| {
            let mut sum = vec![0.0; out_channels * rows];
            let first = groups * thread / threads;
            let end = groups * (thread + 1) / threads;
            for index in first..end {
                let start = index * group;
                let images = group.min(g.batch - start);
                let columns = images * plane;
                let x = &input[start * in_image..][..images * in_image];
                let dy = &grad[start * out_channels * plane..][..images * out_channels * plane];
                accumulate_weight_grad(&g, x, dy, images, &mut sum, columns);
            }
            sum
        })
        .collect();
    let mut partial_sums = partial_sums.into_iter();
    let mut total = partial_sums
        .next()
        .unwrap_or_else(|| vec![0.0; out_channels * rows]);
    for partial in partial_sums {
        for (t, p) in total.iter_mut().zip(&partial) {
            *t += p;
        }
    }
    total
}

/// Adds `dy * im2col(x)^T` of one group of images onto `sum`.
fn accumulate_weight_grad(
    g: &ConvGeometry,
    x: &[f32],
    dy: &[f32],
    images: usize,
    sum: &mut [f32],
    columns: usize,
) {
    let (plane, rows, out_channels) = (g.out_plane(), g.col_rows(), g.out_channels);
    let shape = [out_channels, rows, columns];
    with_buffer(&GATHERED, out_channels * columns, |grouped| {
        let dy_matrix = if images == 1 {
            Matrix::new(dy, plane, 1)
        } else {
            gather_planes(dy, grouped, out_channels, plane);
            Matrix::new(grouped, columns, 1)
        };
        if images == 1 && g.is_pointwise() {
            // im2col(x)^T: element (column, row) is x[row * plane + column].
            return matmul(shape, sum, true, dy_matrix, Matrix::new(x, 1, plane));
        }
        with_buffer(&COLUMNS, rows * columns, |cols| {
            im2col(g, x, images, cols);
            matmul(shape, sum, true, dy_matrix, Matrix::new(cols, 1, columns));
        });
    });
}
