//! Loss selection for configuration files.

use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use super::nt_logistic::nt_logistic;
use super::nt_xent::{nt_xent, LossOutput};
use super::triplet::margin_triplet;
use crate::Result;

/// Temperature 0.5, the value SimCLR uses for CIFAR-10; its large-batch
/// ImageNet runs use 0.1 instead.
pub const DEFAULT_TEMPERATURE: f64 = 0.5;

/// Cosine-similarity margin of the triplet loss. The value is a choice of
/// this crate, not one reported by SimCLR.
pub const DEFAULT_MARGIN: f64 = 0.5;

fn default_temperature() -> f64 {
    DEFAULT_TEMPERATURE
}

fn default_margin() -> f64 {
    DEFAULT_MARGIN
}

/// Contrastive loss and its settings, selected by `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum LossConfig {
    /// [`nt_xent`], SimCLR's loss.
    NtXent {
        #[serde(default = "default_temperature")]
        temperature: f64,
    },
    /// [`nt_logistic`].
    NtLogistic {
        #[serde(default = "default_temperature")]
        temperature: f64,
    },
    /// [`margin_triplet`].
    MarginTriplet {
        #[serde(default = "default_margin")]
        margin: f64,
        #[serde(default)]
        semi_hard: bool,
    },
}

impl Default for LossConfig {
    fn default() -> Self {
        LossConfig::NtXent {
            temperature: DEFAULT_TEMPERATURE,
        }
    }
}

impl LossConfig {
    /// Computes the configured loss.
    ///
    /// # Shapes
    ///
    /// `z_a`, `z_b`: `[batch_size, dim]`, row i of each a view of image i.
    ///
    /// # Errors
    ///
    /// As the selected loss function.
    pub fn compute(&self, z_a: Tensor<2>, z_b: Tensor<2>) -> Result<LossOutput> {
        match *self {
            LossConfig::NtXent { temperature } => nt_xent(z_a, z_b, temperature),
            LossConfig::NtLogistic { temperature } => nt_logistic(z_a, z_b, temperature),
            LossConfig::MarginTriplet { margin, semi_hard } => {
                margin_triplet(z_a, z_b, margin, semi_hard)
            }
        }
    }
}
