//! ResNet encoder f(.) that maps images to the representation h.

use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, PaddingConfig2d};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

use super::block::{batch_norm, conv, ResidualBlock};
use super::config::{EncoderConfig, Stem};
use super::kernels::{apply_conv, ConvKernels};
use crate::{Error, Result};

/// ResNet without its classification layer: stem, four residual stages and
/// global average pooling. Field names follow torchvision's state dict
/// (`conv1`, `bn1`, `layer1` .. `layer4`).
#[derive(Module, Debug)]
pub struct Encoder {
    pub conv1: Conv2d,
    pub bn1: BatchNorm,
    /// Present with the ImageNet stem only.
    pub max_pool: Option<MaxPool2d>,
    pub layer1: Vec<ResidualBlock>,
    pub layer2: Vec<ResidualBlock>,
    pub layer3: Vec<ResidualBlock>,
    pub layer4: Vec<ResidualBlock>,
    /// Implementation of the stem convolution; each block has its own.
    #[module(skip)]
    pub conv_kernels: ConvKernels,
}

impl EncoderConfig {
    /// Builds an encoder with torchvision's initialization.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] if the width multiplier is not finite and
    /// positive or the stem is `None`; resolve it first with
    /// [`EncoderConfig::resolved`].
    pub fn init(&self, device: &Device) -> Result<Encoder> {
        self.validate()?;
        let stem = self.stem.ok_or_else(|| {
            Error::config(
                "stem",
                "is not set; pick one with EncoderConfig::resolved(image_size_px)",
            )
        })?;
        let base_width = self.base_width();
        let (conv1, max_pool) = match stem {
            Stem::Imagenet => {
                let pool = MaxPool2dConfig::new([3, 3])
                    .with_strides([2, 2])
                    .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                    .init();
                (conv(3, base_width, 7, 2, device), Some(pool))
            }
            Stem::Cifar => (conv(3, base_width, 3, 1, device), None),
        };

        let kind = self.arch.block_kind();
        let mut in_channels = base_width;
        let mut stages = Vec::with_capacity(4);
        for (stage, &num_blocks) in self.arch.blocks_per_stage().iter().enumerate() {
            let width = base_width << stage;
            let first_stride = if stage == 0 { 1 } else { 2 };
            let blocks = (0..num_blocks)
                .map(|index| {
                    let stride = if index == 0 { first_stride } else { 1 };
                    let mut block = ResidualBlock::new(
                        kind,
                        in_channels,
                        width,
                        stride,
                        self.zero_init_residual,
                        device,
                    );
                    block.conv_kernels = self.conv_kernels;
                    in_channels = width * kind.expansion();
                    block
                })
                .collect::<Vec<_>>();
            stages.push(blocks);
        }
        let [layer1, layer2, layer3, layer4]: [Vec<ResidualBlock>; 4] = stages
            .try_into()
            .map_err(|_| Error::Runtime("a ResNet has four stages".into()))?;

        Ok(Encoder {
            conv1,
            bn1: batch_norm(base_width, device),
            max_pool,
            layer1,
            layer2,
            layer3,
            layer4,
            conv_kernels: self.conv_kernels,
        })
    }
}

impl Encoder {
    /// Computes the pooled representation h.
    ///
    /// BatchNorm uses batch statistics only when the input is on an autodiff
    /// device and the module is in training mode (burn 0.22.1's rule), and
    /// running statistics otherwise, for example after [`Module::valid`].
    ///
    /// # Shapes
    ///
    /// `[batch, 3, height, width]` to `[batch, representation_dim]`.
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let stem = apply_conv(&self.conv1, images, self.conv_kernels);
        let mut x = relu(self.bn1.forward(stem));
        if let Some(pool) = &self.max_pool {
            x = pool.forward(x);
        }
        for block in self.blocks() {
            x = block.forward(x);
        }
        let [batch, channels, _, _] = x.dims();
        x.mean_dims(&[2, 3]).reshape([batch, channels])
    }

    /// Size of the representation h.
    pub fn representation_dim(&self) -> usize {
        let last = self.layer4.last().or(self.layer3.last());
        match last {
            Some(block) => {
                let bn = block.bn3.as_ref().unwrap_or(&block.bn2);
                bn.gamma.shape().dims::<1>()[0]
            }
            None => self.bn1.gamma.shape().dims::<1>()[0],
        }
    }

    /// Residual blocks in forward order.
    pub fn blocks(&self) -> impl Iterator<Item = &ResidualBlock> {
        self.layer1
            .iter()
            .chain(&self.layer2)
            .chain(&self.layer3)
            .chain(&self.layer4)
    }

    /// Residual stages with their torchvision names (`layer1` .. `layer4`).
    pub(crate) fn stages(&self) -> [(&'static str, &Vec<ResidualBlock>); 4] {
        [
            ("layer1", &self.layer1),
            ("layer2", &self.layer2),
            ("layer3", &self.layer3),
            ("layer4", &self.layer4),
        ]
    }
}
