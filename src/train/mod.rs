//! The pretraining loop: steps, checkpoints, metrics and the loss plot.

pub mod checkpoint;
pub mod config;
pub mod metrics;
pub mod plot;
pub mod pretrain;
pub mod step;

pub use checkpoint::{Checkpoint, TrainState};
pub use config::{PretrainConfig, TrainConfig};
pub use pretrain::{pretrain, Outcome, PretrainReport};
pub use step::{train_step, StepOutput};
