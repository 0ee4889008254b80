//! Helpers the commands share: opening data, resolving data-dependent settings,
//! the kNN monitor, and loading a pretrained run for evaluation.

use std::path::Path;

use anyhow::{Context, Result};
use burn::tensor::Device;

use simclr::data::{self, DataSpec, Dataset, ReadOptions, Splits};
use simclr::eval::extract::{extract_features, EvalTransform};
use simclr::eval::{knn_accuracy, TopK};
use simclr::model::SimclrModel;
use simclr::train::{checkpoint, Checkpoint, PretrainConfig};

/// Largest view side chosen when the config leaves it unset.
const MAX_DEFAULT_SIDE_PX: usize = 224;

/// Parses a dataset spec and reads every split.
pub fn open_data(spec: &str, read: &ReadOptions) -> Result<Splits> {
    let spec: DataSpec = spec.parse()?;
    tracing::info!("reading dataset {spec}");
    Ok(data::open(&spec, read)?)
}

/// Picks the view side for a dataset: its largest image side, at most 224.
pub fn default_side(dataset: &Dataset) -> usize {
    dataset.max_side().clamp(1, MAX_DEFAULT_SIDE_PX)
}

/// Fills the settings that depend on the data: the view side and the stem.
pub fn resolve(config: &mut PretrainConfig, dataset: &Dataset) {
    let side = config
        .augment
        .output_size
        .unwrap_or_else(|| default_side(dataset));
    config.augment.output_size = Some(side);
    config.model.encoder = config.model.encoder.resolved(side);
}

/// Builds the evaluation transform of a resolved config.
pub fn eval_transform(config: &PretrainConfig) -> EvalTransform {
    EvalTransform::from_augment(&config.augment, config.augment.output_size.unwrap_or(32))
}

/// Selects the labeled train images and the test split for the kNN monitor,
/// when the monitor is on and both have labels.
pub fn monitor_data(
    config: &PretrainConfig,
    train: &Dataset,
    test: Option<Dataset>,
) -> Option<(Dataset, Dataset)> {
    if !config.train.knn_monitor || train.labels.is_none() {
        return None;
    }
    let test = test?;
    let mut reference = train.clone();
    if let Some(max) = config.train.knn_max_train_images {
        reference.truncate(max);
    }
    Some((reference, test))
}

/// Builds the kNN monitor run after each epoch, on the inference device.
pub fn knn_monitor<'a>(
    config: &'a PretrainConfig,
    data: Option<(Dataset, Dataset)>,
    device: &'a Device,
) -> impl FnMut(&SimclrModel) -> simclr::Result<Option<TopK>> + 'a {
    move |model: &SimclrModel| {
        let Some((train, test)) = &data else {
            return Ok(None);
        };
        knn_eval(model, train, test, config, device).map(Some)
    }
}

/// kNN top-1 and top-5 of a model's features.
pub fn knn_eval(
    model: &SimclrModel,
    train: &Dataset,
    test: &Dataset,
    config: &PretrainConfig,
    device: &Device,
) -> simclr::Result<TopK> {
    let transform = eval_transform(config);
    let layer = config.model.projection_head.eval_layer;
    let batch = config.train.eval_batch_size;
    let train_features = extract_features(model, train, &transform, layer, batch, device)?;
    let test_features = extract_features(model, test, &transform, layer, batch, device)?;
    let num_classes = train.num_classes().max(test.num_classes()).unwrap_or(1);
    knn_accuracy(
        &train_features,
        &test_features,
        num_classes,
        &config.knn,
        device,
    )
}

/// A pretrained run loaded for evaluation.
pub struct LoadedRun {
    pub config: PretrainConfig,
    pub model: SimclrModel,
}

/// Loads a run's resolved config and its last checkpoint onto `device`.
///
/// `path` is the run directory or its `checkpoint` folder. With
/// `random_weights`, the model keeps its seeded random initialization
/// instead, the baseline a learned representation is compared with.
pub fn load_run(path: &Path, device: &Device, random_weights: bool) -> Result<LoadedRun> {
    let dir = super::args::run_dir_of(path);
    let config_path = dir.join("config.toml");
    if !config_path.is_file() {
        return Err(simclr::Error::data(
            &dir,
            "not a run directory: expected config.toml and checkpoint/ written by `simclr pretrain`",
        )
        .into());
    }
    let config = PretrainConfig::from_toml_file(&config_path)?;
    device.seed(config.seed);
    let model = config.model.init(device)?;
    if random_weights {
        tracing::info!("using randomly initialized weights (seed {})", config.seed);
        return Ok(LoadedRun { config, model });
    }
    let checkpoint_dir = Checkpoint::new(&dir).existing().ok_or_else(|| {
        simclr::Error::data(
            &dir,
            "the run has no checkpoint yet: expected checkpoint/state.json",
        )
    })?;
    let model = checkpoint::load_model(&checkpoint_dir, model)
        .with_context(|| format!("loading the checkpoint of {}", dir.display()))?;
    tracing::info!("loaded {}", checkpoint_dir.display());
    Ok(LoadedRun { config, model })
}
