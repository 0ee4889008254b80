//! Optimizer selection for configuration files, and the optimizer the
//! training loop steps.

use std::path::Path;

use burn::module::Module;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamWConfig, GradientsParams, ModuleOptimizer, SgdConfig};
use burn::tensor::Bytes;
use serde::{Deserialize, Serialize};

use super::lars::{Lars, DEFAULT_EETA};
use super::rank_masked::RankMasked;
use super::schedule::{LrScaling, LrSchedule};
use crate::{Error, Result};

/// Optimizer algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    /// [`Lars`], SimCLR's optimizer.
    #[default]
    Lars,
    /// SGD with heavy-ball momentum and no dampening, as PyTorch's default.
    Sgd,
    /// AdamW (Loshchilov and Hutter 2019) with decoupled weight decay.
    Adamw,
}

/// Optimizer and learning-rate settings. Defaults follow SimCLR's
/// ImageNet pretraining with LARS: base_lr 0.3 with linear scaling,
/// momentum 0.9, weight decay 1e-6, eeta 0.001, 10 warmup epochs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OptimizerConfig {
    pub kind: OptimizerKind,
    /// Learning rate before batch-size scaling.
    pub base_lr: f64,
    pub lr_scaling: LrScaling,
    /// Momentum of LARS and SGD; AdamW ignores it.
    pub momentum: f64,
    /// Weight decay of parameters of rank 2 and more; rank-1 parameters
    /// (biases, BatchNorm) get none.
    pub weight_decay: f64,
    /// LARS trust coefficient.
    pub eeta: f64,
    pub warmup_epochs: usize,
    pub adam_beta1: f64,
    pub adam_beta2: f64,
    pub adam_epsilon: f64,
}

impl Default for OptimizerConfig {
    fn default() -> Self {
        Self {
            kind: OptimizerKind::Lars,
            base_lr: 0.3,
            lr_scaling: LrScaling::Linear,
            momentum: 0.9,
            weight_decay: 1e-6,
            eeta: DEFAULT_EETA,
            warmup_epochs: 10,
            adam_beta1: 0.9,
            adam_beta2: 0.999,
            adam_epsilon: 1e-8,
        }
    }
}

fn check_range(field: &str, value: f64, low: f64, high: f64) -> Result<()> {
    if !value.is_finite() || value < low || value > high {
        let message = format!("must be in [{low}, {high}], got {value}");
        return Err(Error::config(field, message));
    }
    Ok(())
}

impl OptimizerConfig {
    /// Checks every value's range.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] naming the first value out of range.
    pub fn validate(&self) -> Result<()> {
        check_range("base_lr", self.base_lr, 0.0, f64::MAX)?;
        check_range("momentum", self.momentum, 0.0, 1.0)?;
        check_range("weight_decay", self.weight_decay, 0.0, f64::MAX)?;
        check_range("eeta", self.eeta, 0.0, f64::MAX)?;
        check_range("adam_beta1", self.adam_beta1, 0.0, 1.0)?;
        check_range("adam_beta2", self.adam_beta2, 0.0, 1.0)?;
        check_range(
            "adam_epsilon",
            self.adam_epsilon,
            f64::MIN_POSITIVE,
            f64::MAX,
        )
    }

    /// Builds the per-step schedule for a run of `total_steps` steps with
    /// `steps_per_epoch` steps each epoch.
    ///
    /// # Errors
    ///
    /// As [`LrSchedule::new`].
    pub fn schedule(
        &self,
        batch_size: usize,
        steps_per_epoch: usize,
        total_steps: usize,
    ) -> Result<LrSchedule> {
        let warmup_steps = (self.warmup_epochs * steps_per_epoch).min(total_steps);
        LrSchedule::new(
            self.base_lr,
            batch_size,
            self.lr_scaling,
            total_steps,
            warmup_steps,
        )
    }

    /// Builds the optimizer.
    ///
    /// # Errors
    ///
    /// As [`OptimizerConfig::validate`].
    pub fn init(&self) -> Result<SimclrOptimizer> {
        self.validate()?;
        let inner: ModuleOptimizer = match self.kind {
            OptimizerKind::Lars => Lars {
                momentum: self.momentum,
                weight_decay: self.weight_decay,
                eeta: self.eeta,
            }
            .into(),
            OptimizerKind::Sgd => {
                let sgd = |weight_decay: f64| {
                    let momentum = MomentumConfig::new()
                        .with_momentum(self.momentum)
                        .with_dampening(0.0);
                    SgdConfig::new()
                        .with_momentum(Some(momentum))
                        .with_weight_decay(Some(WeightDecayConfig::new(weight_decay as f32)))
                        .build()
                };
                RankMasked {
                    with_decay: sgd(self.weight_decay),
                    without_decay: sgd(0.0),
                }
                .into()
            }
            OptimizerKind::Adamw => {
                let adamw = |weight_decay: f64| {
                    AdamWConfig::new()
                        .with_beta_1(self.adam_beta1 as f32)
                        .with_beta_2(self.adam_beta2 as f32)
                        .with_epsilon(self.adam_epsilon as f32)
                        .with_weight_decay(weight_decay as f32)
                        .build()
                };
                RankMasked {
                    with_decay: adamw(self.weight_decay),
                    without_decay: adamw(0.0),
                }
                .into()
            }
        };
        Ok(SimclrOptimizer {
            kind: self.kind,
            inner,
        })
    }
}

/// The configured optimizer, stepped the same way for every kind.
///
/// Its state (momentum buffers, Adam moments) is keyed by burn's parameter
/// ids, so a resumed run must step a module whose parameters carry the ids
/// of the saved one. A freshly initialized module gets new ids and starts
/// without state. A module loaded from a burnpack record keeps the saved
/// ids, so training checkpoints restore the state that way.
#[derive(Clone)]
pub struct SimclrOptimizer {
    pub kind: OptimizerKind,
    inner: ModuleOptimizer,
}

impl SimclrOptimizer {
    /// Updates every parameter of `module` that has a gradient in `grads`
    /// with learning rate `lr`, and advances the optimizer state.
    pub fn step<M: Module>(&mut self, lr: f64, module: M, grads: GradientsParams) -> M {
        self.inner.step(lr, module, grads)
    }

    /// Serializes the optimizer state in burn's burnpack format.
    ///
    /// # Errors
    ///
    /// [`Error::Runtime`] if burn fails to serialize it.
    pub fn state_to_bytes(&self) -> Result<Vec<u8>> {
        let bytes = self
            .inner
            .into_bytes()
            .map_err(|e| Error::Runtime(format!("failed to serialize optimizer state: {e:?}")))?;
        Ok(bytes.to_vec())
    }

    /// Replaces the optimizer state with one from
    /// [`SimclrOptimizer::state_to_bytes`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidData`] if the bytes are not an optimizer state.
    pub fn load_state_bytes(self, bytes: Vec<u8>, source: &Path) -> Result<Self> {
        let inner = self
            .inner
            .from_bytes(Bytes::from_bytes_vec(bytes))
            .map_err(|e| Error::data(source, format!("invalid optimizer state: {e:?}")))?;
        Ok(Self { inner, ..self })
    }

    /// Writes the optimizer state to `path`.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the file cannot be written.
    pub fn save_state(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        std::fs::write(path, self.state_to_bytes()?).map_err(|e| Error::io(path, e))
    }

    /// Reads the optimizer state written by [`SimclrOptimizer::save_state`].
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the file cannot be read, [`Error::InvalidData`] if
    /// it is not an optimizer state.
    pub fn load_state(self, path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        self.load_state_bytes(bytes, path)
    }
}
