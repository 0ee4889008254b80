//! Checkpoints of a pretraining run: model, optimizer state and position.
//!
//! A checkpoint is the folder `DIR/checkpoint/` with `model.bpk` and
//! `optimizer.bpk` (burn's burnpack records, which keep parameter ids so the
//! optimizer state finds its parameters again) and `state.json` (position
//! and history). The random state needs no file of its own: views and
//! shuffles derive from the seed, the epoch and the image index.
//!
//! A new checkpoint is written to `checkpoint.tmp/`, then swapped in by two
//! renames. A crash between them leaves `checkpoint.old/`, which
//! [`Checkpoint::load`] falls back to, so there is always one whole
//! checkpoint.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::store::ModuleRecord;
use burn::tensor::Bytes;
use serde::{Deserialize, Serialize};

use super::config::PretrainConfig;
use super::plot::EpochPoint;
use crate::model::SimclrModel;
use crate::optim::SimclrOptimizer;
use crate::{Error, Result};

/// The position and history of a run, saved with every checkpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainState {
    /// Optimizer steps taken over the whole run.
    pub step: usize,
    /// The epoch the next step belongs to.
    pub epoch: usize,
    /// Batches of `epoch` already trained on.
    pub batch_in_epoch: usize,
    /// Loss and positive-pair top-1 summed over the steps of `epoch` so
    /// far, and the number of those steps.
    pub epoch_sums: EpochSums,
    /// Loss and kNN accuracy of each finished epoch.
    pub history: Vec<EpochPoint>,
    /// The config of the run that wrote the checkpoint.
    pub config: PretrainConfig,
}

/// Sums over the steps of the current epoch.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EpochSums {
    pub loss: f64,
    pub positive_top1: f64,
    pub steps: usize,
}

impl TrainState {
    /// Creates the state of a run that has not taken a step.
    pub fn new(config: PretrainConfig) -> Self {
        TrainState {
            step: 0,
            epoch: 0,
            batch_in_epoch: 0,
            epoch_sums: EpochSums::default(),
            history: Vec::new(),
            config,
        }
    }
}

/// The folder names of a run directory's checkpoint.
pub struct Checkpoint {
    dir: PathBuf,
}

impl Checkpoint {
    pub fn new(run_dir: &Path) -> Self {
        Checkpoint {
            dir: run_dir.to_path_buf(),
        }
    }

    fn current(&self) -> PathBuf {
        self.dir.join("checkpoint")
    }

    fn previous(&self) -> PathBuf {
        self.dir.join("checkpoint.old")
    }

    fn staging(&self) -> PathBuf {
        self.dir.join("checkpoint.tmp")
    }

    /// Finds the folder of the last whole checkpoint, if there is one.
    pub fn existing(&self) -> Option<PathBuf> {
        [self.current(), self.previous()]
            .into_iter()
            .find(|dir| dir.join("state.json").is_file())
    }

    /// Writes a checkpoint and swaps it in for the previous one.
    pub fn save(
        &self,
        model: &SimclrModel,
        optimizer: &SimclrOptimizer,
        state: &TrainState,
    ) -> Result<()> {
        let staging = self.staging();
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(|e| Error::io(&staging, e))?;
        }
        std::fs::create_dir_all(&staging).map_err(|e| Error::io(&staging, e))?;
        let model_bytes = model
            .clone()
            .into_record()
            .into_bytes()
            .map_err(|e| Error::Runtime(format!("failed to serialize the model: {e}")))?;
        write_synced(&staging.join("model.bpk"), &model_bytes)?;
        write_synced(&staging.join("optimizer.bpk"), &optimizer.state_to_bytes()?)?;
        let json = serde_json::to_vec_pretty(state)
            .map_err(|e| Error::Runtime(format!("failed to serialize the train state: {e}")))?;
        write_synced(&staging.join("state.json"), &json)?;

        let (current, previous) = (self.current(), self.previous());
        if previous.exists() {
            std::fs::remove_dir_all(&previous).map_err(|e| Error::io(&previous, e))?;
        }
        if current.exists() {
            std::fs::rename(&current, &previous).map_err(|e| Error::io(&current, e))?;
        }
        std::fs::rename(&staging, &current).map_err(|e| Error::io(&staging, e))?;
        if previous.exists() {
            std::fs::remove_dir_all(&previous).map_err(|e| Error::io(&previous, e))?;
        }
        Ok(())
    }

    /// Reads the train state of the last whole checkpoint.
    pub fn load_state(&self) -> Result<Option<(PathBuf, TrainState)>> {
        let Some(dir) = self.existing() else {
            return Ok(None);
        };
        let path = dir.join("state.json");
        let text = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        let state = serde_json::from_slice(&text)
            .map_err(|e| Error::data(&path, format!("invalid train state: {e}")))?;
        Ok(Some((dir, state)))
    }
}

/// Loads model weights from `dir/model.bpk` into a model of the same shape.
pub fn load_model(dir: &Path, model: SimclrModel) -> Result<SimclrModel> {
    let path = dir.join("model.bpk");
    let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes))
        .map_err(|e| Error::data(&path, format!("invalid model record: {e}")))?;
    model.try_load_record(record).map_err(|e| {
        Error::data(
            &path,
            format!("model record does not fit the configured model: {e}"),
        )
    })
}

/// Loads the optimizer state from `dir/optimizer.bpk`.
pub fn load_optimizer(dir: &Path, optimizer: SimclrOptimizer) -> Result<SimclrOptimizer> {
    optimizer.load_state(dir.join("optimizer.bpk"))
}

/// Writes a file and flushes it to disk, so a rename after it is durable.
fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    file.write_all(bytes).map_err(|e| Error::io(path, e))?;
    file.sync_all().map_err(|e| Error::io(path, e))
}
