//! Pieces shared by linear evaluation and fine-tuning: the optimizer of
//! the classifier, its seeded initialization, targets and class rankings.

use burn::module::Param;
use burn::nn::Linear;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, ModuleOptimizer, SgdConfig};
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Optimizer algorithm of a classifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ClassifierOptimizerKind {
    /// SGD with Nesterov momentum and no dampening, as SimCLR trains its
    /// linear classifiers and fine-tunes.
    #[default]
    Sgd,
    /// Adam (Kingma and Ba 2015) with beta1 0.9, beta2 0.999 and epsilon
    /// 1e-8. It needs a far smaller `base_lr` than SGD, such as 1e-3.
    Adam,
}

/// Optimizer settings of a classifier. The learning rate follows a cosine
/// decay from `base_lr * batch_size / 256` to 0 without warmup.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClassifierOptimizerConfig {
    pub kind: ClassifierOptimizerKind,
    /// Learning rate at batch size 256, scaled linearly with the batch size.
    pub base_lr: f64,
    /// Nesterov momentum of SGD; Adam ignores it.
    pub momentum: f64,
    /// L2 penalty added to the gradient of every parameter, biases
    /// included. Default 0, as SimCLR uses no regularization there.
    pub weight_decay: f64,
}

impl Default for ClassifierOptimizerConfig {
    fn default() -> Self {
        ClassifierOptimizerConfig {
            kind: ClassifierOptimizerKind::Sgd,
            base_lr: 0.1,
            momentum: 0.9,
            weight_decay: 0.0,
        }
    }
}

impl ClassifierOptimizerConfig {
    /// Rejects values out of range, naming the field as `{prefix}.{field}`.
    pub fn validate(&self, prefix: &str) -> Result<()> {
        let base_lr = self.base_lr;
        if !(base_lr.is_finite() && base_lr > 0.0) {
            let message = format!("must be finite and positive, got {base_lr}");
            return Err(Error::config(format!("{prefix}.base_lr"), message));
        }
        if !(0.0..1.0).contains(&self.momentum) {
            let message = format!("must be in [0, 1), got {}", self.momentum);
            return Err(Error::config(format!("{prefix}.momentum"), message));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            let message = format!("must be finite and >= 0, got {}", self.weight_decay);
            return Err(Error::config(format!("{prefix}.weight_decay"), message));
        }
        Ok(())
    }

    /// Builds the optimizer.
    pub(crate) fn init(&self) -> ModuleOptimizer {
        let decay =
            (self.weight_decay > 0.0).then(|| WeightDecayConfig::new(self.weight_decay as f32));
        match self.kind {
            ClassifierOptimizerKind::Sgd => {
                let momentum = (self.momentum > 0.0).then(|| {
                    MomentumConfig::new()
                        .with_momentum(self.momentum)
                        .with_dampening(0.0)
                        .with_nesterov(true)
                });
                SgdConfig::new()
                    .with_momentum(momentum)
                    .with_weight_decay(decay)
                    .init()
            }
            ClassifierOptimizerKind::Adam => AdamConfig::new()
                .with_epsilon(1e-8)
                .with_weight_decay(decay)
                .init(),
        }
    }
}

/// Builds a linear layer whose weight and bias are drawn uniformly from
/// `[-1/sqrt(input_dim), 1/sqrt(input_dim))`, the range of PyTorch's
/// `nn.Linear` initialization, from an RNG seeded with `seed`. The device's
/// global RNG is not used, so runs in parallel stay deterministic.
pub(crate) fn seeded_linear(
    input_dim: usize,
    output_dim: usize,
    seed: u64,
    device: &Device,
) -> Linear {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let bound = 1.0 / (input_dim.max(1) as f32).sqrt();
    let mut draw = |count: usize| -> Vec<f32> {
        (0..count)
            .map(|_| rng.random_range(-bound..bound))
            .collect()
    };
    let weight = TensorData::new(draw(input_dim * output_dim), [input_dim, output_dim]);
    let bias = TensorData::new(draw(output_dim), [output_dim]);
    Linear {
        weight: Param::from_tensor(Tensor::from_data(weight, device)),
        bias: Some(Param::from_tensor(Tensor::from_data(bias, device))),
    }
}

/// Class indices as an integer tensor for the cross-entropy loss.
///
/// # Shapes
/// Returns `[labels.len()]`.
pub(crate) fn target_tensor(labels: &[usize], device: &Device) -> Tensor<1, Int> {
    let values: Vec<i64> = labels.iter().map(|&label| label as i64).collect();
    Tensor::from_data(TensorData::new(values, [labels.len()]), device)
}

/// Rejects a label outside `0..num_classes` and a `num_classes` of 0.
pub(crate) fn check_labels(labels: &[usize], num_classes: usize, split: &str) -> Result<()> {
    if num_classes == 0 {
        return Err(Error::config("num_classes", "must be at least 1, got 0"));
    }
    match labels.iter().position(|&label| label >= num_classes) {
        Some(row) => Err(Error::config(
            "num_classes",
            format!(
                "is {num_classes}, but {split} row {row} has label {}",
                labels[row]
            ),
        )),
        None => Ok(()),
    }
}

/// Ranks the classes of every row by decreasing logit; among equal logits
/// the lower class index ranks first.
///
/// # Shapes
/// `logits` is `[rows, num_classes]`.
pub(crate) fn ranked_classes(logits: Tensor<2>) -> Result<Vec<Vec<usize>>> {
    let num_classes = logits.dims()[1];
    let values = logits
        .into_data()
        .try_into_vec::<f32>()
        .map_err(|e| Error::Runtime(format!("reading classifier logits failed: {e:?}")))?;
    let rankings = values
        .chunks(num_classes.max(1))
        .map(|row| {
            let mut classes: Vec<usize> = (0..num_classes).collect();
            classes.sort_by(|&a, &b| row[b].total_cmp(&row[a]));
            classes
        })
        .collect();
    Ok(rankings)
}

/// Rejects a loss that is NaN or infinite, naming the epoch.
pub(crate) fn check_loss(loss: f64, epoch: usize, what: &str) -> Result<()> {
    if loss.is_finite() {
        return Ok(());
    }
    Err(Error::Runtime(format!(
        "{what} loss became {loss} in epoch {epoch}; lower base_lr"
    )))
}

/// The order of `0..len` in `epoch`, shuffled by an RNG seeded with `seed`
/// and `epoch`.
pub(crate) fn epoch_order(len: usize, seed: u64, epoch: usize) -> Vec<usize> {
    use rand::seq::SliceRandom;
    // Index u64::MAX keeps this stream apart from the per-image view streams
    // that use the same seed and epoch.
    let mut rng = crate::augment::view_rng(seed, epoch as u64, u64::MAX);
    let mut order: Vec<usize> = (0..len).collect();
    order.shuffle(&mut rng);
    order
}
