//! Linear evaluation: a linear classifier trained with cross entropy on
//! frozen features.

use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::Linear;
use burn::optim::GradientsParams;
use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use super::classifier::{
    check_labels, check_loss, epoch_order, ranked_classes, seeded_linear, target_tensor,
    ClassifierOptimizerConfig,
};
use super::features::Features;
use super::progress::progress_bar;
use super::TopK;
use crate::optim::{LrScaling, LrSchedule};
use crate::{Error, Result};

/// Settings of linear evaluation.
///
/// The defaults follow SimCLR's linear evaluation where it fits a small
/// run: SGD with Nesterov momentum 0.9, a learning rate scaled as
/// `0.1 * batch_size / 256` and no weight decay. The 100 epochs and the
/// batch size of 256 are choices of this crate, smaller than SimCLR's
/// batch of 4096.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LinearEvalConfig {
    /// Passes over the training features. Default 100.
    pub epochs: usize,
    /// Rows per step; a training split with fewer rows uses one batch of
    /// all of them. Default 256.
    pub batch_size: usize,
    pub optimizer: ClassifierOptimizerConfig,
    /// Whether each feature dimension is shifted and scaled to mean 0 and
    /// standard deviation 1 on the training split before training, with
    /// the same shift and scale applied to the test split. Default true.
    pub standardize: bool,
    /// Seed of the classifier initialization and the batch order.
    pub seed: u64,
}

impl Default for LinearEvalConfig {
    fn default() -> Self {
        LinearEvalConfig {
            epochs: 100,
            batch_size: 256,
            optimizer: ClassifierOptimizerConfig::default(),
            standardize: true,
            seed: 0,
        }
    }
}

impl LinearEvalConfig {
    /// Rejects 0 epochs, a batch size of 0 and invalid optimizer settings.
    pub fn validate(&self) -> Result<()> {
        if self.epochs == 0 {
            return Err(Error::config("linear.epochs", "must be at least 1, got 0"));
        }
        if self.batch_size == 0 {
            return Err(Error::config(
                "linear.batch_size",
                "must be at least 1, got 0",
            ));
        }
        self.optimizer.validate("linear.optimizer")
    }
}

/// Trains a linear classifier on the frozen `train` features and returns
/// its top-1 and top-5 accuracy on `test`.
///
/// Training runs on the autodiff form of `device` and is deterministic for
/// a given seed on one backend. With 5 classes or fewer every class is in
/// the top 5, so `top5` is 1.
///
/// # Errors
/// [`Error::InvalidConfig`] for invalid settings, missing labels, a label
/// outside `0..num_classes`, an empty training split or feature sizes that
/// differ, [`Error::Runtime`] if the loss stops being finite.
pub fn linear_eval(
    train: &Features,
    test: &Features,
    num_classes: usize,
    config: &LinearEvalConfig,
    device: &Device,
) -> Result<TopK> {
    config.validate()?;
    let train_labels = train.labels_for("linear evaluation")?;
    let test_labels = test.labels_for("linear evaluation")?;
    check_labels(train_labels, num_classes, "train")?;
    check_labels(test_labels, num_classes, "test")?;
    if train.rows == 0 {
        return Err(Error::config(
            "data",
            "linear evaluation needs at least one training image",
        ));
    }
    if train.dim != test.dim {
        return Err(Error::Shape {
            op: "linear evaluation".into(),
            message: format!("train features have dim {}, test {}", train.dim, test.dim),
        });
    }
    let (train_values, test_values) = if config.standardize {
        let (mean, std) = column_moments(train);
        (
            standardized(train, &mean, &std),
            standardized(test, &mean, &std),
        )
    } else {
        (train.data.clone(), test.data.clone())
    };
    let training_device = device.clone().autodiff();
    let classifier = seeded_linear(train.dim, num_classes, config.seed, &training_device);
    let classifier = train_classifier(
        classifier,
        &train_values,
        train.dim,
        train_labels,
        config,
        &training_device,
    )?;

    let inference_device = device.clone().without_autodiff();
    let classifier = classifier.valid();
    let logits = classifier.forward(Features::tensor_rows(
        &test_values,
        test.dim,
        0,
        test.rows,
        &inference_device,
    ));
    let ranked = ranked_classes(logits)?;
    Ok(TopK::from_rankings(&ranked, test_labels))
}

/// Runs the epochs of minibatch training with a cosine learning rate.
fn train_classifier(
    mut classifier: Linear,
    values: &[f32],
    dim: usize,
    labels: &[usize],
    config: &LinearEvalConfig,
    device: &Device,
) -> Result<Linear> {
    let rows = labels.len();
    let batch_size = config.batch_size.min(rows);
    let steps_per_epoch = rows.div_ceil(batch_size);
    let schedule = LrSchedule::new(
        config.optimizer.base_lr,
        batch_size,
        LrScaling::Linear,
        config.epochs * steps_per_epoch,
        0,
    )?;
    let mut optimizer = config.optimizer.init();
    let loss_fn = CrossEntropyLossConfig::new().init(device);
    let bar = progress_bar(config.epochs, "linear eval");
    let mut step = 0;
    for epoch in 0..config.epochs {
        let order = epoch_order(rows, config.seed, epoch);
        let mut loss_sum = 0.0;
        for batch in order.chunks(batch_size) {
            let mut batch_values = Vec::with_capacity(batch.len() * dim);
            for &row in batch {
                batch_values.extend_from_slice(&values[row * dim..(row + 1) * dim]);
            }
            let inputs = Features::tensor_rows(&batch_values, dim, 0, batch.len(), device);
            let batch_labels: Vec<usize> = batch.iter().map(|&row| labels[row]).collect();
            let targets = target_tensor(&batch_labels, device);
            let loss = loss_fn.forward(classifier.forward(inputs), targets);
            loss_sum += loss.clone().into_scalar::<f64>() * batch.len() as f64;
            let grads = GradientsParams::from_grads(loss.backward(), &classifier);
            classifier = optimizer.step(schedule.lr_at(step), classifier, grads);
            step += 1;
        }
        let mean_loss = loss_sum / rows as f64;
        check_loss(mean_loss, epoch, "linear evaluation")?;
        bar.set_message(format!("loss {mean_loss:.4}"));
        bar.inc(1);
        tracing::debug!(epoch, loss = mean_loss, "linear evaluation epoch");
    }
    bar.finish_and_clear();
    Ok(classifier)
}

/// Per-column mean and standard deviation of the rows; a constant column
/// gets standard deviation 1 so that it maps to 0 rather than NaN.
fn column_moments(features: &Features) -> (Vec<f32>, Vec<f32>) {
    let dim = features.dim;
    let count = features.rows.max(1) as f64;
    let mut sum = vec![0f64; dim];
    let mut sum_squares = vec![0f64; dim];
    for row in features.data.chunks(dim.max(1)) {
        for (j, &value) in row.iter().enumerate() {
            sum[j] += f64::from(value);
            sum_squares[j] += f64::from(value) * f64::from(value);
        }
    }
    let mean: Vec<f64> = sum.iter().map(|s| s / count).collect();
    let std = sum_squares
        .iter()
        .zip(&mean)
        .map(|(squares, m)| {
            let variance = (squares / count - m * m).max(0.0);
            let std = variance.sqrt();
            if std > 1e-12 {
                std as f32
            } else {
                1.0
            }
        })
        .collect();
    (mean.into_iter().map(|m| m as f32).collect(), std)
}

fn standardized(features: &Features, mean: &[f32], std: &[f32]) -> Vec<f32> {
    let mut values = features.data.clone();
    for row in values.chunks_mut(features.dim.max(1)) {
        for ((value, m), s) in row.iter_mut().zip(mean).zip(std) {
            *value = (*value - m) / s;
        }
    }
    values
}
