//! NT-Logistic loss, one of the alternatives compared in SimCLR (Chen et
//! al. 2020, Table 2).

use burn::tensor::activation::relu;
use burn::tensor::Tensor;

use super::nt_xent::LossOutput;
use super::pairs::{check_temperature, check_views, Pairs};
use crate::Result;

/// `log(1 + exp(x))` without overflow: `max(x, 0) + log(1 + exp(-|x|))`.
fn softplus(x: Tensor<2>) -> Tensor<2> {
    relu(x.clone()) + x.abs().neg().exp().add_scalar(1.0).log()
}

/// Computes the normalized temperature-scaled logistic loss: for each of the
/// 2N anchors, `-log sigmoid(s_pos / temperature)` plus the mean over its
/// 2N - 2 negatives of `-log sigmoid(-s_neg / temperature)`, with s the
/// cosine similarity, averaged over anchors.
///
/// The paper writes the loss for one negative. Averaging rather than
/// summing the negatives gives positives and negatives equal weight for
/// every batch size; this weighting is a choice of this crate.
///
/// # Shapes
///
/// `z_a`, `z_b`: `[batch_size, dim]`.
///
/// # Errors
///
/// As [`nt_xent`](super::nt_xent).
pub fn nt_logistic(z_a: Tensor<2>, z_b: Tensor<2>, temperature: f64) -> Result<LossOutput> {
    check_views("nt_logistic", &z_a, &z_b)?;
    check_temperature(temperature)?;
    let pairs = Pairs::new(z_a, z_b);
    let scores = pairs.similarity.clone() / temperature;

    let positive_term = softplus(pairs.positive(scores.clone()).neg());
    let num_negatives = (2 * pairs.batch_size - 2) as f64;
    let negative_term = softplus(scores.clone())
        .mask_fill(pairs.negative_mask.clone().bool_not(), 0.0)
        .sum_dim(1)
        / num_negatives;
    let loss = (positive_term + negative_term).mean();
    Ok(LossOutput {
        loss,
        logits: scores.mask_fill(pairs.self_mask, f32::NEG_INFINITY),
        batch_size: pairs.batch_size,
    })
}
