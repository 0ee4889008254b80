//! Pairwise cosine similarities of the 2N views and the masks that pick
//! positives and negatives, shared by the contrastive losses.

use burn::tensor::{Bool, Device, Tensor, TensorData};

use crate::{Error, Result};

/// Smallest norm an embedding is divided by in L2 normalization, so a zero
/// embedding yields zeros instead of NaN (PyTorch's `F.normalize` default).
const NORM_EPSILON: f64 = 1e-12;

/// Cosine similarities of all 2N views and the masks over them.
pub(crate) struct Pairs {
    /// Cosine similarities, `[2 * batch_size, 2 * batch_size]`. Row i < N is
    /// view a of image i and row N + i is view b of image i.
    pub similarity: Tensor<2>,
    /// True on the diagonal (each view against itself).
    pub self_mask: Tensor<2, Bool>,
    /// True at (i, i + N) and (i + N, i), the positive pairs.
    pub positive_mask: Tensor<2, Bool>,
    /// True where a pair is neither the view itself nor its positive.
    pub negative_mask: Tensor<2, Bool>,
    pub batch_size: usize,
}

/// Checks that both views are `[batch_size, dim]` with `batch_size >= 2`.
pub(crate) fn check_views(op: &str, z_a: &Tensor<2>, z_b: &Tensor<2>) -> Result<()> {
    let (shape_a, shape_b) = (z_a.dims(), z_b.dims());
    if shape_a != shape_b {
        return Err(Error::Shape {
            op: op.into(),
            message: format!("z_a has shape {shape_a:?} but z_b has shape {shape_b:?}"),
        });
    }
    let [batch_size, dim] = shape_a;
    if batch_size < 2 || dim == 0 {
        return Err(Error::Shape {
            op: op.into(),
            message: format!(
                "views have shape {shape_a:?}; a batch needs at least 2 images and 1 dimension"
            ),
        });
    }
    Ok(())
}

/// Checks that a temperature is finite and positive.
pub(crate) fn check_temperature(temperature: f64) -> Result<()> {
    if !temperature.is_finite() || temperature <= 0.0 {
        return Err(Error::config(
            "temperature",
            format!("must be finite and positive, got {temperature}"),
        ));
    }
    Ok(())
}

/// Divides each row by its L2 norm.
///
/// # Shapes
///
/// `[rows, dim]` to `[rows, dim]`.
pub fn l2_normalize(z: Tensor<2>) -> Tensor<2> {
    let norm = z
        .clone()
        .powi_scalar(2)
        .sum_dim(1)
        .sqrt()
        .clamp_min(NORM_EPSILON);
    z / norm
}

impl Pairs {
    /// Normalizes both views and computes their similarities.
    ///
    /// # Shapes
    ///
    /// `z_a`, `z_b`: `[batch_size, dim]`, checked by [`check_views`].
    pub fn new(z_a: Tensor<2>, z_b: Tensor<2>) -> Self {
        let [batch_size, _] = z_a.dims();
        let device = z_a.device();
        let z = l2_normalize(Tensor::cat(vec![z_a, z_b], 0));
        let similarity = z.clone().matmul(z.transpose());
        Self {
            similarity,
            self_mask: pair_mask(batch_size, &device, |row, col| row == col),
            positive_mask: pair_mask(batch_size, &device, |row, col| {
                col == positive_index(row, batch_size)
            }),
            negative_mask: pair_mask(batch_size, &device, |row, col| {
                row != col && col != positive_index(row, batch_size)
            }),
            batch_size,
        }
    }

    /// Similarity of each view to its positive.
    ///
    /// # Shapes
    ///
    /// `[2 * batch_size, 2 * batch_size]` to `[2 * batch_size, 1]`.
    pub fn positive(&self, scores: Tensor<2>) -> Tensor<2> {
        scores
            .mask_fill(self.positive_mask.clone().bool_not(), 0.0)
            .sum_dim(1)
    }
}

/// Index of the other view of the same image among the 2N views.
pub(crate) fn positive_index(row: usize, batch_size: usize) -> usize {
    (row + batch_size) % (2 * batch_size)
}

fn pair_mask(
    batch_size: usize,
    device: &Device,
    is_set: impl Fn(usize, usize) -> bool,
) -> Tensor<2, Bool> {
    let size = 2 * batch_size;
    let values: Vec<bool> = (0..size * size)
        .map(|index| is_set(index / size, index % size))
        .collect();
    Tensor::from_data(TensorData::new(values, [size, size]), device)
}
