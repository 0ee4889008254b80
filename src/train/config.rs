//! The resolved settings of a pretraining run, one TOML document.

use serde::{Deserialize, Serialize};

use crate::augment::SimclrAugment;
use crate::data::{ReadOptions, SplitName};
use crate::eval::KnnConfig;
use crate::loss::LossConfig;
use crate::model::kernels::ConvKernels;
use crate::model::{Arch, EncoderConfig, ProjectionHeadConfig, SimclrModelConfig};
use crate::optim::OptimizerConfig;
use crate::{Error, Result};

/// Every setting of `simclr pretrain`. Written to `DIR/config.toml`.
///
/// The defaults size a run of the builtin Fashion-MNIST subset to a few
/// minutes on two CPU cores: a ResNet-18 at width 1/8 with the CIFAR stem,
/// batches of 256 images, LARS, color strength 0.5, and this crate's
/// convolution kernels.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PretrainConfig {
    /// Seed of the model initialization, the shuffling and the views.
    pub seed: u64,
    /// Dataset: `builtin`, a path, or `FORMAT:PATH`.
    pub data: String,
    /// The split pretraining reads.
    pub split: SplitName,
    /// Use only the first this many images of the split.
    pub max_images: Option<usize>,
    pub read: ReadOptions,
    pub augment: SimclrAugment,
    pub model: SimclrModelConfig,
    pub loss: LossConfig,
    pub optimizer: OptimizerConfig,
    pub train: TrainConfig,
    /// The kNN monitor run on the test split after each epoch.
    pub knn: KnnConfig,
}

/// Settings of the training loop itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    pub epochs: usize,
    /// Images per batch; each step trains on `2 * batch_size` views.
    pub batch_size: usize,
    /// Stop after this many optimizer steps of the whole run, keeping the
    /// schedule of the full run, so a later run with a higher limit resumes
    /// on the same learning-rate curve.
    pub max_steps: Option<usize>,
    /// Steps between two step lines of `metrics.jsonl`.
    pub log_every_steps: usize,
    /// Batches augmented ahead of the training step.
    pub prefetch_batches: usize,
    /// Run the kNN monitor after each epoch when the data has a labeled
    /// test split.
    pub knn_monitor: bool,
    /// Training images the kNN monitor compares against; `None` uses all.
    pub knn_max_train_images: Option<usize>,
    /// Images per batch when extracting features for evaluation.
    pub eval_batch_size: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 5,
            batch_size: 256,
            max_steps: None,
            log_every_steps: 10,
            prefetch_batches: 4,
            knn_monitor: true,
            knn_max_train_images: Some(10_000),
            eval_batch_size: 500,
        }
    }
}

impl Default for PretrainConfig {
    fn default() -> Self {
        let encoder = EncoderConfig {
            arch: Arch::Resnet18,
            width_multiplier: 0.125,
            // About 1.5x faster steps than burn's conv2d for this model on
            // two cores; see BENCHMARKS.md.
            conv_kernels: ConvKernels::Custom,
            ..EncoderConfig::default()
        };
        PretrainConfig {
            seed: 0,
            data: "builtin".into(),
            split: SplitName::Train,
            max_images: None,
            read: ReadOptions::default(),
            augment: SimclrAugment {
                // The strength SimCLR uses on CIFAR-10, for small images.
                color_strength: 0.5,
                ..SimclrAugment::default()
            },
            model: SimclrModelConfig {
                encoder,
                projection_head: ProjectionHeadConfig::default(),
            },
            loss: LossConfig::default(),
            optimizer: OptimizerConfig {
                base_lr: 1.0,
                warmup_epochs: 1,
                ..OptimizerConfig::default()
            },
            train: TrainConfig::default(),
            knn: KnnConfig::default(),
        }
    }
}

impl PretrainConfig {
    /// Reads a TOML file; keys it leaves out keep the defaults of
    /// [`PretrainConfig::default`], also inside a table the file sets.
    pub fn from_toml_file(path: &std::path::Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::from_toml_str(&text).map_err(|message| Error::data(path, message))
    }

    /// Parses TOML text over the defaults; the error is a message.
    pub fn from_toml_str(text: &str) -> std::result::Result<Self, String> {
        let file: toml::Table = toml::from_str(text).map_err(|e| format!("invalid config: {e}"))?;
        let mut merged = toml::Table::try_from(PretrainConfig::default())
            .map_err(|e| format!("cannot serialize the defaults: {e}"))?;
        merge_tables(&mut merged, file);
        merged
            .try_into()
            .map_err(|e| format!("invalid config: {e}"))
    }

    /// Serializes the config as TOML.
    pub fn to_toml(&self) -> Result<String> {
        toml::to_string(self).map_err(|e| Error::Runtime(format!("cannot write config: {e}")))
    }

    /// Checks the settings that do not need the dataset, before any work.
    pub fn validate(&self) -> Result<()> {
        let train = &self.train;
        if train.epochs == 0 {
            return Err(Error::config("epochs", "must be at least 1, got 0"));
        }
        crate::data::loader::check_batch_size(train.batch_size)?;
        if train.max_steps == Some(0) {
            return Err(Error::config("max_steps", "must be at least 1, got 0"));
        }
        if train.log_every_steps == 0 {
            return Err(Error::config(
                "log_every_steps",
                "must be at least 1, got 0",
            ));
        }
        if self.max_images == Some(0) {
            return Err(Error::config("max_images", "must be at least 1, got 0"));
        }
        if let LossConfig::NtXent { temperature } | LossConfig::NtLogistic { temperature } =
            self.loss
        {
            if !(temperature.is_finite() && temperature > 0.0) {
                return Err(Error::config(
                    "temperature",
                    format!("must be finite and positive, got {temperature}"),
                ));
            }
        }
        self.augment.validate()?;
        self.model.encoder.validate()?;
        self.model.projection_head.validate()?;
        self.optimizer.validate()?;
        self.knn.validate()
    }

    /// Names the first setting that must match between a checkpoint and a
    /// run that resumes it, with both values.
    pub fn resume_mismatch(&self, checkpoint: &PretrainConfig) -> Option<(String, String, String)> {
        let encoder = (&self.model.encoder, &checkpoint.model.encoder);
        let fields: [(&str, String, String); 8] = [
            (
                "model.encoder.arch",
                encoder.0.arch.name().into(),
                encoder.1.arch.name().into(),
            ),
            (
                "model.encoder.width_multiplier",
                encoder.0.width_multiplier.to_string(),
                encoder.1.width_multiplier.to_string(),
            ),
            (
                "model.encoder.stem",
                format!("{:?}", encoder.0.stem),
                format!("{:?}", encoder.1.stem),
            ),
            (
                "model.projection_head",
                format!("{:?}", self.model.projection_head),
                format!("{:?}", checkpoint.model.projection_head),
            ),
            (
                "optimizer.kind",
                format!("{:?}", self.optimizer.kind),
                format!("{:?}", checkpoint.optimizer.kind),
            ),
            (
                "train.batch_size",
                self.train.batch_size.to_string(),
                checkpoint.train.batch_size.to_string(),
            ),
            ("seed", self.seed.to_string(), checkpoint.seed.to_string()),
            ("data", self.data.clone(), checkpoint.data.clone()),
        ];
        fields
            .into_iter()
            .find(|(_, ours, theirs)| ours != theirs)
            .map(|(field, ours, theirs)| (field.to_string(), ours, theirs))
    }
}

/// Lays `overlay` over `base`, table by table. A table whose `kind` differs
/// from the base's (another loss, say) replaces the base table whole, since
/// the fields of one kind are not valid for another.
fn merge_tables(base: &mut toml::Table, overlay: toml::Table) {
    for (key, value) in overlay {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(base_table)), toml::Value::Table(table))
                if base_table.get("kind") == table.get("kind") || !table.contains_key("kind") =>
            {
                merge_tables(base_table, table);
            }
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}
