//! Semi-supervised fine-tuning: the pretrained encoder and a new linear
//! classifier trained together on a class-balanced fraction of the labels.

use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::Linear;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::classifier::{
    check_labels, check_loss, epoch_order, ranked_classes, seeded_linear, target_tensor,
    ClassifierOptimizerConfig,
};
use super::extract::{check_images, eval_batch, feature_dim, EvalTransform};
use super::progress::progress_bar;
use super::TopK;
use crate::augment::{view_rng, FloatImage, Step, ViewPipeline};
use crate::data::Dataset;
use crate::model::SimclrModel;
use crate::optim::{LrScaling, LrSchedule};
use crate::{Error, Result};

/// Picks a class-balanced subset of `labels`: from each class with `n`
/// images, `round(fraction * n)` of them and at least 1, drawn by an RNG
/// seeded with `seed`.
///
/// Returns the picked indices in increasing order.
///
/// # Errors
/// [`Error::InvalidConfig`] if `fraction` is not in (0, 1].
pub fn label_subset(labels: &[usize], fraction: f64, seed: u64) -> Result<Vec<usize>> {
    if !(fraction > 0.0 && fraction <= 1.0) {
        return Err(Error::config(
            "label_fraction",
            format!("must be in (0, 1], got {fraction}"),
        ));
    }
    let num_classes = labels.iter().max().map_or(0, |&max| max + 1);
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); num_classes];
    for (index, &label) in labels.iter().enumerate() {
        by_class[label].push(index);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut subset = Vec::new();
    for mut members in by_class.into_iter().filter(|m| !m.is_empty()) {
        let count = ((fraction * members.len() as f64).round() as usize).clamp(1, members.len());
        members.shuffle(&mut rng);
        subset.extend_from_slice(&members[..count]);
    }
    subset.sort_unstable();
    Ok(subset)
}

/// Settings of semi-supervised fine-tuning.
///
/// The defaults follow SimCLR's fine-tuning where it fits a small run:
/// SGD with Nesterov momentum 0.9, a learning rate scaled as
/// `0.05 * batch_size / 256`, no weight decay, and only random resized
/// crops with horizontal flips as augmentation. The 30 epochs and the batch
/// size of 256 are choices of this crate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FinetuneConfig {
    /// Passes over the labeled subset. Default 30.
    pub epochs: usize,
    /// Images per step; a subset with fewer images uses one batch of all
    /// of them. Default 256.
    pub batch_size: usize,
    pub optimizer: ClassifierOptimizerConfig,
    /// Fraction of each class's training labels used, in (0, 1]. Default
    /// 0.1, one of SimCLR's two settings (1% and 10%).
    pub label_fraction: f64,
    /// Seed of the labeled subset, the classifier initialization, the batch
    /// order and the augmentation.
    pub seed: u64,
    /// Range of the crop area as a fraction of the image area. Default
    /// `[0.08, 1.0]`.
    pub crop_scale: [f64; 2],
    /// Range of the crop aspect ratio (width / height). Default `[3/4, 4/3]`.
    pub crop_ratio: [f64; 2],
    /// Probability of a horizontal flip after the crop. Default 0.5.
    pub flip_probability: f64,
}

impl Default for FinetuneConfig {
    fn default() -> Self {
        FinetuneConfig {
            epochs: 30,
            batch_size: 256,
            optimizer: ClassifierOptimizerConfig {
                base_lr: 0.05,
                ..ClassifierOptimizerConfig::default()
            },
            label_fraction: 0.1,
            seed: 0,
            crop_scale: [0.08, 1.0],
            crop_ratio: [3.0 / 4.0, 4.0 / 3.0],
            flip_probability: 0.5,
        }
    }
}

fn check_interval(field: &str, range: [f64; 2]) -> Result<()> {
    let [low, high] = range;
    if !(low.is_finite() && high.is_finite() && 0.0 < low && low <= high) {
        return Err(Error::config(
            field,
            format!("must be finite with 0 < low <= high, got [{low}, {high}]"),
        ));
    }
    Ok(())
}

impl FinetuneConfig {
    /// Rejects values out of range, naming the field as `finetune.<field>`.
    pub fn validate(&self) -> Result<()> {
        if self.epochs == 0 {
            return Err(Error::config(
                "finetune.epochs",
                "must be at least 1, got 0",
            ));
        }
        if self.batch_size == 0 {
            return Err(Error::config(
                "finetune.batch_size",
                "must be at least 1, got 0",
            ));
        }
        self.optimizer.validate("finetune.optimizer")?;
        check_interval("finetune.crop_scale", self.crop_scale)?;
        if self.crop_scale[1] > 1.0 {
            let message = format!("must be at most 1, got {:?}", self.crop_scale);
            return Err(Error::config("finetune.crop_scale", message));
        }
        check_interval("finetune.crop_ratio", self.crop_ratio)?;
        if !(0.0..=1.0).contains(&self.flip_probability) {
            let message = format!("must be in [0, 1], got {}", self.flip_probability);
            return Err(Error::config("finetune.flip_probability", message));
        }
        Ok(())
    }

    /// The training augmentation: random resized crop to `transform.side`,
    /// random flip, then the transform's normalization.
    fn pipeline(&self, transform: &EvalTransform) -> ViewPipeline {
        let mut steps = vec![Step::CropAndFlip {
            scale: self.crop_scale,
            ratio: self.crop_ratio,
            flip_probability: self.flip_probability,
        }];
        if let Some((mean, std)) = transform.normalize {
            steps.push(Step::Normalize { mean, std });
        }
        ViewPipeline::new(transform.side, steps)
    }
}

/// The pretrained model with a classifier on its representation at
/// `eval_layer`.
#[derive(Module, Debug)]
struct FinetuneNet {
    model: SimclrModel,
    classifier: Linear,
}

impl FinetuneNet {
    /// # Shapes
    /// `[batch, 3, side, side]` to logits `[batch, num_classes]`.
    fn forward(&self, images: Tensor<4>, eval_layer: usize) -> Tensor<2> {
        self.classifier
            .forward(self.model.features(images, eval_layer))
    }
}

/// Fine-tunes the encoder, the projection head layers up to `eval_layer`
/// and a new linear classifier on a class-balanced
/// `config.label_fraction` of the `train` labels (see [`label_subset`]),
/// then returns the fine-tuned model with the top-1 and top-5 accuracy of
/// the classifier on the evaluation views of `test`.
///
/// Training runs on the autodiff form of `device`, where BatchNorm uses
/// batch statistics and updates its running statistics. The test split is
/// scored in inference mode. The returned model is on the autodiff device
/// in training mode, and the classifier is dropped. Head layers after
/// `eval_layer` stay unchanged.
///
/// # Errors
/// [`Error::InvalidConfig`] for invalid settings, missing labels, an image
/// with a zero side or an `eval_layer` past the head, [`Error::Runtime`] if
/// the loss stops being finite.
pub fn finetune(
    model: SimclrModel,
    train: &Dataset,
    test: &Dataset,
    config: &FinetuneConfig,
    eval_layer: usize,
    transform: &EvalTransform,
    device: &Device,
) -> Result<(SimclrModel, TopK)> {
    config.validate()?;
    transform.validate()?;
    let dim = feature_dim(&model, eval_layer)?;
    let missing = |split: &str| {
        Error::config(
            "data",
            format!("fine-tuning needs labels, and the {split} split has none"),
        )
    };
    let train_labels = train.labels.as_deref().ok_or_else(|| missing("train"))?;
    let test_labels = test.labels.as_deref().ok_or_else(|| missing("test"))?;
    let num_classes = train.num_classes().max(test.num_classes()).unwrap_or(0);
    check_labels(train_labels, num_classes, "train")?;
    check_labels(test_labels, num_classes, "test")?;
    check_images(train, "train")?;
    check_images(test, "test")?;
    if train.is_empty() {
        return Err(Error::config(
            "data",
            "fine-tuning needs at least one training image",
        ));
    }
    let subset = label_subset(train_labels, config.label_fraction, config.seed)?;
    tracing::info!(
        labeled = subset.len(),
        train = train.len(),
        num_classes,
        "fine-tuning on a labeled subset"
    );

    let training_device = device.clone().autodiff();
    let net = FinetuneNet {
        model: model.fork(&training_device).train(),
        classifier: seeded_linear(dim, num_classes, config.seed, &training_device),
    };
    let net = train_net(
        net,
        train,
        &subset,
        config,
        eval_layer,
        transform,
        &training_device,
    )?;

    let inference_device = device.clone().without_autodiff();
    let scoring = net.valid();
    let mut ranked = Vec::with_capacity(test.len());
    let indices: Vec<usize> = (0..test.len()).collect();
    for chunk in indices.chunks(config.batch_size) {
        let batch = eval_batch(&test.images, chunk, transform, &inference_device);
        ranked.extend(ranked_classes(scoring.forward(batch, eval_layer))?);
    }
    Ok((net.model, TopK::from_rankings(&ranked, test_labels)))
}

/// Runs the epochs of fine-tuning on the images `subset` of `train`.
fn train_net(
    mut net: FinetuneNet,
    train: &Dataset,
    subset: &[usize],
    config: &FinetuneConfig,
    eval_layer: usize,
    transform: &EvalTransform,
    device: &Device,
) -> Result<FinetuneNet> {
    let labels = train.labels.as_deref().unwrap_or_default();
    let pipeline = config.pipeline(transform);
    let batch_size = config.batch_size.min(subset.len());
    let steps_per_epoch = subset.len().div_ceil(batch_size);
    let total_steps = config.epochs * steps_per_epoch;
    let schedule = LrSchedule::new(
        config.optimizer.base_lr,
        batch_size,
        LrScaling::Linear,
        total_steps,
        0,
    )?;
    let mut optimizer = config.optimizer.init();
    let loss_fn = CrossEntropyLossConfig::new().init(device);
    let bar = progress_bar(total_steps, "fine-tune");
    let mut step = 0;
    for epoch in 0..config.epochs {
        let order = epoch_order(subset.len(), config.seed, epoch);
        let mut loss_sum = 0.0;
        for batch in order.chunks(batch_size) {
            let indices: Vec<usize> = batch.iter().map(|&k| subset[k]).collect();
            let images = augmented_batch(train, &indices, &pipeline, config.seed, epoch, device);
            let batch_labels: Vec<usize> = indices.iter().map(|&i| labels[i]).collect();
            let targets = target_tensor(&batch_labels, device);
            let loss = loss_fn.forward(net.forward(images, eval_layer), targets);
            let loss_value = loss.clone().into_scalar::<f64>();
            check_loss(loss_value, epoch, "fine-tuning")?;
            loss_sum += loss_value * batch.len() as f64;
            let grads = GradientsParams::from_grads(loss.backward(), &net);
            net = optimizer.step(schedule.lr_at(step), net, grads);
            step += 1;
            bar.set_message(format!("epoch {epoch} loss {loss_value:.4}"));
            bar.inc(1);
        }
        let mean_loss = loss_sum / subset.len() as f64;
        tracing::info!(epoch, loss = mean_loss, "fine-tuning epoch");
    }
    bar.finish_and_clear();
    Ok(net)
}

/// Builds the augmented views of `train.images[indices]` in parallel; view
/// `i` draws from [`view_rng`]`(seed, epoch, i)`.
///
/// # Shapes
/// Returns `[indices.len(), 3, side, side]`.
fn augmented_batch(
    train: &Dataset,
    indices: &[usize],
    pipeline: &ViewPipeline,
    seed: u64,
    epoch: usize,
    device: &Device,
) -> Tensor<4> {
    let side = pipeline.output_size();
    let views: Vec<FloatImage> = indices
        .par_iter()
        .map(|&i| {
            let mut rng = view_rng(seed, epoch as u64, i as u64);
            pipeline.apply(&train.images[i], &mut rng)
        })
        .collect();
    let values: Vec<f32> = views.into_iter().flat_map(|view| view.data).collect();
    Tensor::from_data(
        TensorData::new(values, [indices.len(), 3, side, side]),
        device,
    )
}
