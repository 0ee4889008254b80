//! Margin triplet loss, one of the alternatives compared in SimCLR (Chen et
//! al. 2020, Table 2), with optional semi-hard negative mining (Schroff et
//! al. 2015).

use burn::tensor::activation::relu;
use burn::tensor::Tensor;

use super::nt_xent::LossOutput;
use super::pairs::{check_views, Pairs};
use crate::{Error, Result};

/// Computes `max(s_neg - s_pos + margin, 0)` with s the cosine similarity
/// of L2-normalized embeddings, averaged over the 2N anchors.
///
/// Without mining, each anchor's hinge is averaged over its 2N - 2
/// negatives. With `semi_hard`, each anchor uses one negative: the most
/// similar negative that is still less similar than the positive, or, when
/// every negative is more similar than the positive, the least similar
/// negative, as in TensorFlow Addons' `triplet_semihard_loss`.
///
/// # Shapes
///
/// `z_a`, `z_b`: `[batch_size, dim]`.
///
/// # Errors
///
/// [`Error::Shape`] as [`nt_xent`](super::nt_xent);
/// [`Error::InvalidConfig`] if the margin is negative or not finite.
pub fn margin_triplet(
    z_a: Tensor<2>,
    z_b: Tensor<2>,
    margin: f64,
    semi_hard: bool,
) -> Result<LossOutput> {
    check_views("margin_triplet", &z_a, &z_b)?;
    if !margin.is_finite() || margin < 0.0 {
        return Err(Error::config(
            "margin",
            format!("must be finite and non-negative, got {margin}"),
        ));
    }
    let pairs = Pairs::new(z_a, z_b);
    let similarity = pairs.similarity.clone();
    let positive = pairs.positive(similarity.clone());
    let not_negative = pairs.negative_mask.clone().bool_not();

    let per_anchor = if semi_hard {
        let less_similar = similarity
            .clone()
            .lower(positive.clone().expand(similarity.dims()));
        let not_semi_hard = not_negative.clone().bool_or(less_similar.bool_not());
        let hardest_semi_hard = similarity
            .clone()
            .mask_fill(not_semi_hard, f32::NEG_INFINITY)
            .max_dim(1);
        let easiest = similarity
            .clone()
            .mask_fill(not_negative, f32::INFINITY)
            .min_dim(1);
        let has_semi_hard = hardest_semi_hard.clone().is_inf().bool_not();
        let negative = easiest.mask_where(has_semi_hard, hardest_semi_hard);
        relu(negative - positive + margin)
    } else {
        let hinge = relu(similarity.clone() - positive + margin).mask_fill(not_negative, 0.0);
        hinge.sum_dim(1) / (2 * pairs.batch_size - 2) as f64
    };
    Ok(LossOutput {
        loss: per_anchor.mean(),
        logits: similarity.mask_fill(pairs.self_mask, f32::NEG_INFINITY),
        batch_size: pairs.batch_size,
    })
}
