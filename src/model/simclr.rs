//! SimCLR model: encoder f(.) followed by projection head g(.).

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::config::EncoderConfig;
use super::projection::{ProjectionHead, ProjectionHeadConfig};
use super::resnet::Encoder;
use crate::Result;

/// Configuration of the encoder and projection head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct SimclrModelConfig {
    pub encoder: EncoderConfig,
    pub projection_head: ProjectionHeadConfig,
}

/// Encoder and projection head trained together by the contrastive loss.
#[derive(Module, Debug)]
pub struct SimclrModel {
    pub encoder: Encoder,
    pub projection_head: ProjectionHead,
}

impl SimclrModelConfig {
    /// Builds the model; the encoder's stem must be set (see
    /// [`EncoderConfig::resolved`]).
    ///
    /// # Errors
    ///
    /// As [`EncoderConfig::init`] and [`ProjectionHeadConfig::init`].
    pub fn init(&self, device: &Device) -> Result<SimclrModel> {
        let encoder = self.encoder.init(device)?;
        let projection_head = self
            .projection_head
            .init(encoder.representation_dim(), device)?;
        Ok(SimclrModel {
            encoder,
            projection_head,
        })
    }
}

impl SimclrModel {
    /// Computes the representation h and the embedding z.
    ///
    /// # Shapes
    ///
    /// `[batch, 3, height, width]` to h `[batch, representation_dim]` and
    /// z `[batch, output_dim]`.
    pub fn forward(&self, images: Tensor<4>) -> (Tensor<2>, Tensor<2>) {
        let h = self.encoder.forward(images);
        let z = self.projection_head.forward(h.clone());
        (h, z)
    }

    /// Computes the representation used after pretraining: h for
    /// `eval_layer` 0, the output of head layer `eval_layer` otherwise.
    ///
    /// # Shapes
    ///
    /// `[batch, 3, height, width]` to `[batch, feature_dim]`.
    pub fn features(&self, images: Tensor<4>, eval_layer: usize) -> Tensor<2> {
        let h = self.encoder.forward(images);
        self.projection_head.forward_layers(h, eval_layer)
    }
}
