//! NT-Xent, the normalized temperature-scaled cross-entropy loss of SimCLR.

use burn::tensor::Tensor;

use super::pairs::{check_temperature, check_views, positive_index, Pairs};
use crate::Result;

/// Loss value with the logits it was computed from.
#[derive(Debug, Clone)]
pub struct LossOutput {
    /// Mean loss over the 2N anchors, `[1]`.
    pub loss: Tensor<1>,
    /// Scores of every anchor against every view, `[2 * batch_size,
    /// 2 * batch_size]`: cosine similarity / temperature for the NT losses
    /// and cosine similarity for the margin triplet loss. Each anchor's
    /// score against itself is negative infinity.
    pub logits: Tensor<2>,
    /// Number of images N; rows `i` and `i + N` are the two views of image i.
    pub batch_size: usize,
}

/// Output of [`nt_xent`].
pub type NtXentOutput = LossOutput;

impl LossOutput {
    /// Fraction of the 2N anchors whose largest logit is their positive
    /// (the contrastive top-1 accuracy).
    pub fn positive_accuracy(&self) -> f64 {
        let predicted = self.logits.clone().argmax(1).into_data();
        let num_anchors = 2 * self.batch_size;
        let num_correct = predicted
            .iter::<i64>()
            .enumerate()
            .filter(|&(row, col)| col as usize == positive_index(row, self.batch_size))
            .count();
        num_correct as f64 / num_anchors as f64
    }
}

/// Computes NT-Xent (Chen et al. 2020, eq. 1): for each of the 2N views,
/// the cross-entropy of picking its positive among the 2N - 1 other views,
/// with logits `cos(z_i, z_j) / temperature`, averaged over all 2N anchors.
///
/// Embeddings are L2-normalized first, the self-similarity is masked to
/// negative infinity, and the log-sum-exp subtracts each row's maximum, so
/// any positive temperature is numerically stable.
///
/// # Shapes
///
/// `z_a`, `z_b`: `[batch_size, dim]`, row i of each a view of image i.
///
/// # Errors
///
/// [`Error::Shape`](crate::Error::Shape) if the shapes differ or
/// `batch_size < 2`; [`Error::InvalidConfig`](crate::Error::InvalidConfig)
/// if the temperature is not finite and positive.
pub fn nt_xent(z_a: Tensor<2>, z_b: Tensor<2>, temperature: f64) -> Result<NtXentOutput> {
    check_views("nt_xent", &z_a, &z_b)?;
    check_temperature(temperature)?;
    let pairs = Pairs::new(z_a, z_b);
    let logits = (pairs.similarity.clone() / temperature)
        .mask_fill(pairs.self_mask.clone(), f32::NEG_INFINITY);

    let row_max = logits.clone().max_dim(1).detach();
    let positive = pairs.positive(logits.clone().mask_fill(pairs.self_mask.clone(), 0.0));
    let sum_exp = (logits.clone() - row_max.clone()).exp().sum_dim(1);
    // (max - positive) first keeps the result exact when all logits are
    // equal and large, for example identical embeddings at temperature 0.001.
    let per_anchor = (row_max - positive) + sum_exp.log();
    Ok(LossOutput {
        loss: per_anchor.mean(),
        logits,
        batch_size: pairs.batch_size,
    })
}
