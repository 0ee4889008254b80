//! Projection head g(.) that maps the representation h to the embedding z
//! on which the contrastive loss is computed.

use burn::module::Module;
use burn::nn::{BatchNorm, Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::block::batch_norm;
use crate::{Error, Result};

/// Shape of the projection head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ProjectionKind {
    /// z = h.
    None,
    /// One linear layer.
    Linear,
    /// Linear layers with ReLU between them (SimCLR's default).
    #[default]
    Nonlinear,
}

/// Configuration of the projection head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProjectionHeadConfig {
    pub kind: ProjectionKind,
    /// Number of linear layers of a nonlinear head: 2 as in SimCLR, 3 as in
    /// SimCLRv2. Ignored by the other kinds.
    pub num_layers: usize,
    /// Width of the hidden layers; `None` uses the encoder's
    /// representation size, as SimCLR does.
    pub hidden_dim: Option<usize>,
    /// Size of z. Default 128, as SimCLR.
    pub output_dim: usize,
    /// Whether BatchNorm follows every linear layer, which then has no
    /// bias, as in SimCLRv2.
    pub batch_norm: bool,
    /// Layer whose output is the representation used after pretraining: 0
    /// is h (SimCLR), k > 0 the output of head layer k (SimCLRv2
    /// fine-tunes from layer 1).
    pub eval_layer: usize,
}

impl Default for ProjectionHeadConfig {
    fn default() -> Self {
        Self {
            kind: ProjectionKind::Nonlinear,
            num_layers: 2,
            hidden_dim: None,
            output_dim: 128,
            batch_norm: false,
            eval_layer: 0,
        }
    }
}

/// One linear layer of the head, with optional BatchNorm.
#[derive(Module, Debug)]
pub struct ProjectionLayer {
    pub linear: Linear,
    pub bn: Option<BatchNorm>,
}

/// Projection head: linear layers, ReLU between them.
#[derive(Module, Debug)]
pub struct ProjectionHead {
    pub layers: Vec<ProjectionLayer>,
}

impl ProjectionHeadConfig {
    /// Number of linear layers the head has.
    pub fn layer_count(&self) -> usize {
        match self.kind {
            ProjectionKind::None => 0,
            ProjectionKind::Linear => 1,
            ProjectionKind::Nonlinear => self.num_layers,
        }
    }

    /// Checks the layer counts and sizes.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] if a nonlinear head has fewer than 2 layers,
    /// a size is 0, or `eval_layer` exceeds the number of layers.
    pub fn validate(&self) -> Result<()> {
        if self.kind == ProjectionKind::Nonlinear && self.num_layers < 2 {
            let message = format!("a nonlinear head needs at least 2, got {}", self.num_layers);
            return Err(Error::config("num_layers", message));
        }
        if self.output_dim == 0 || self.hidden_dim == Some(0) {
            return Err(Error::config("output_dim", "sizes must be at least 1"));
        }
        if self.eval_layer > self.layer_count() {
            let message = format!(
                "is {} but the head has {} layers",
                self.eval_layer,
                self.layer_count()
            );
            return Err(Error::config("eval_layer", message));
        }
        Ok(())
    }

    /// Builds the head for a representation of size `input_dim`.
    ///
    /// # Errors
    ///
    /// As [`ProjectionHeadConfig::validate`].
    pub fn init(&self, input_dim: usize, device: &Device) -> Result<ProjectionHead> {
        self.validate()?;
        let num_layers = self.layer_count();
        let hidden_dim = self.hidden_dim.unwrap_or(input_dim);
        let layers = (0..num_layers)
            .map(|index| {
                let d_input = if index == 0 { input_dim } else { hidden_dim };
                let d_output = if index + 1 == num_layers {
                    self.output_dim
                } else {
                    hidden_dim
                };
                ProjectionLayer {
                    linear: LinearConfig::new(d_input, d_output)
                        .with_bias(!self.batch_norm)
                        .init(device),
                    bn: self.batch_norm.then(|| batch_norm(d_output, device)),
                }
            })
            .collect();
        Ok(ProjectionHead { layers })
    }
}

impl ProjectionHead {
    /// Applies the first `num_layers` layers (ReLU after each but the last
    /// layer of the head).
    ///
    /// # Shapes
    ///
    /// `[batch, input_dim]` to `[batch, width of layer num_layers]`.
    pub fn forward_layers(&self, h: Tensor<2>, num_layers: usize) -> Tensor<2> {
        let mut x = h;
        for (index, layer) in self.layers.iter().take(num_layers).enumerate() {
            x = layer.linear.forward(x);
            if let Some(bn) = &layer.bn {
                x = bn.forward(x);
            }
            if index + 1 < self.layers.len() {
                x = relu(x);
            }
        }
        x
    }

    /// Computes z from h.
    ///
    /// # Shapes
    ///
    /// `[batch, representation_dim]` to `[batch, output_dim]`, or unchanged
    /// for a head of kind `none`.
    pub fn forward(&self, h: Tensor<2>) -> Tensor<2> {
        self.forward_layers(h, self.layers.len())
    }
}
