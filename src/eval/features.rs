//! Feature matrices: one representation per image, with labels.

use burn::tensor::{Device, Tensor, TensorData};

use crate::{Error, Result};

/// A row-major matrix of features with one label per row.
///
/// # Shapes
/// `data` is `[rows, dim]`; `labels` has `rows` entries.
#[derive(Clone, Debug, PartialEq)]
pub struct Features {
    pub rows: usize,
    pub dim: usize,
    pub data: Vec<f32>,
    pub labels: Option<Vec<usize>>,
}

impl Features {
    /// Wraps a row-major buffer, checking its length.
    pub fn new(
        rows: usize,
        dim: usize,
        data: Vec<f32>,
        labels: Option<Vec<usize>>,
    ) -> Result<Self> {
        if data.len() != rows * dim {
            return Err(Error::Shape {
                op: "features".into(),
                message: format!("{} values for {rows} rows of {dim}", data.len()),
            });
        }
        if let Some(labels) = &labels {
            if labels.len() != rows {
                return Err(Error::Shape {
                    op: "features".into(),
                    message: format!("{} labels for {rows} rows", labels.len()),
                });
            }
        }
        Ok(Features {
            rows,
            dim,
            data,
            labels,
        })
    }

    /// Returns the labels, or an error naming the purpose that needs them.
    pub fn labels_for(&self, purpose: &str) -> Result<&[usize]> {
        self.labels.as_deref().ok_or_else(|| {
            Error::config(
                "data",
                format!("{purpose} needs labels, and this split has none"),
            )
        })
    }

    /// Scales a copy of the rows to unit L2 norm. Zero rows stay zero.
    pub fn l2_normalized(&self) -> Vec<f32> {
        let mut out = self.data.clone();
        for row in out.chunks_mut(self.dim.max(1)) {
            let norm = row.iter().map(|v| v * v).sum::<f32>().sqrt();
            if norm > 0.0 {
                row.iter_mut().for_each(|v| *v /= norm);
            }
        }
        out
    }

    /// Copies the rows `start..end` into a tensor on `device`.
    ///
    /// # Shapes
    /// Returns `[end - start, dim]`.
    pub fn tensor_rows(
        values: &[f32],
        dim: usize,
        start: usize,
        end: usize,
        device: &Device,
    ) -> Tensor<2> {
        let slice = values[start * dim..end * dim].to_vec();
        Tensor::from_data(TensorData::new(slice, [end - start, dim]), device)
    }
}
