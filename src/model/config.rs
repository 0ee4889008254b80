//! Encoder configuration: ResNet depth, width multiplier and stem.

use serde::{Deserialize, Serialize};

use super::kernels::ConvKernels;
use crate::{Error, Result};

/// Images of at most this many pixels per side get the CIFAR stem when the
/// stem is not set, as SimCLR does for CIFAR-10 (32x32 images).
pub const CIFAR_STEM_MAX_IMAGE_SIZE_PX: usize = 32;

/// ResNet depth, as in He et al. 2016 and torchvision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    Resnet18,
    Resnet34,
    /// SimCLR's default encoder.
    #[default]
    Resnet50,
    Resnet101,
    Resnet152,
}

/// Residual block type of a ResNet stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    /// Two 3x3 convolutions (ResNet-18 and -34).
    Basic,
    /// 1x1, 3x3, 1x1 convolutions with expansion 4, stride on the 3x3
    /// convolution as in torchvision (ResNet-50 and deeper).
    Bottleneck,
}

impl BlockKind {
    /// Ratio of a block's output channels to its inner width.
    pub fn expansion(self) -> usize {
        match self {
            BlockKind::Basic => 1,
            BlockKind::Bottleneck => 4,
        }
    }
}

impl Arch {
    /// Number of residual blocks in each of the four stages.
    pub fn blocks_per_stage(self) -> [usize; 4] {
        match self {
            Arch::Resnet18 => [2, 2, 2, 2],
            Arch::Resnet34 | Arch::Resnet50 => [3, 4, 6, 3],
            Arch::Resnet101 => [3, 4, 23, 3],
            Arch::Resnet152 => [3, 8, 36, 3],
        }
    }

    /// Residual block type used in every stage.
    pub fn block_kind(self) -> BlockKind {
        match self {
            Arch::Resnet18 | Arch::Resnet34 => BlockKind::Basic,
            _ => BlockKind::Bottleneck,
        }
    }

    /// Name as written in configuration files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Arch::Resnet18 => "resnet18",
            Arch::Resnet34 => "resnet34",
            Arch::Resnet50 => "resnet50",
            Arch::Resnet101 => "resnet101",
            Arch::Resnet152 => "resnet152",
        }
    }
}

/// First layers of the encoder, before the residual stages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stem {
    /// 7x7 stride-2 convolution (padding 3), BatchNorm, ReLU, then 3x3
    /// stride-2 max pooling (padding 1), as in torchvision.
    Imagenet,
    /// 3x3 stride-1 convolution (padding 1), BatchNorm, ReLU and no pooling,
    /// as SimCLR uses for CIFAR-10.
    Cifar,
}

impl Stem {
    /// Name as written in configuration files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Stem::Imagenet => "imagenet",
            Stem::Cifar => "cifar",
        }
    }
}

/// Configuration of a ResNet encoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EncoderConfig {
    /// ResNet depth. Default `resnet50`, the encoder of SimCLR.
    pub arch: Arch,
    /// Multiplier of every layer width, as in SimCLR's ResNet-50 (2x) and
    /// (4x). The first stage has `max(1, round(64 * width_multiplier))`
    /// channels. Default 1.
    pub width_multiplier: f64,
    /// Stem. `None` picks one from the image size with
    /// [`EncoderConfig::resolve_stem`].
    pub stem: Option<Stem>,
    /// Whether the last BatchNorm scale (gamma) of every residual block
    /// starts at zero, so each block starts as the identity (Goyal et al.
    /// 2017). Default false, as torchvision.
    pub zero_init_residual: bool,
    /// Implementation of the convolutions. Default `burn`; `custom` picks
    /// the kernels of [`crate::model::kernels`] on the flex backend.
    pub conv_kernels: ConvKernels,
}

impl Default for EncoderConfig {
    fn default() -> Self {
        Self {
            arch: Arch::default(),
            width_multiplier: 1.0,
            stem: None,
            zero_init_residual: false,
            conv_kernels: ConvKernels::default(),
        }
    }
}

impl EncoderConfig {
    /// Builds a configuration with the given depth and stem, width 1 and no
    /// zero-initialized residual BatchNorm.
    pub fn new(arch: Arch, stem: Stem) -> Self {
        Self {
            arch,
            stem: Some(stem),
            ..Self::default()
        }
    }

    /// Returns the configured stem, or the CIFAR stem for images of at most
    /// [`CIFAR_STEM_MAX_IMAGE_SIZE_PX`] pixels per side and the ImageNet stem
    /// for larger ones.
    pub fn resolve_stem(&self, image_size_px: usize) -> Stem {
        match self.stem {
            Some(stem) => stem,
            None if image_size_px <= CIFAR_STEM_MAX_IMAGE_SIZE_PX => Stem::Cifar,
            None => Stem::Imagenet,
        }
    }

    /// Returns a copy whose stem is set, picked from the image size if it
    /// was `None`.
    pub fn resolved(&self, image_size_px: usize) -> Self {
        Self {
            stem: Some(self.resolve_stem(image_size_px)),
            ..self.clone()
        }
    }

    /// Checks the width multiplier.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] if it is not finite and positive.
    pub fn validate(&self) -> Result<()> {
        let multiplier = self.width_multiplier;
        if !multiplier.is_finite() || multiplier <= 0.0 {
            return Err(Error::config(
                "width_multiplier",
                format!("must be finite and positive, got {multiplier}"),
            ));
        }
        Ok(())
    }

    /// Channels of the first stage: `max(1, round(64 * width_multiplier))`.
    pub fn base_width(&self) -> usize {
        ((64.0 * self.width_multiplier).round() as usize).max(1)
    }

    /// Size of the pooled representation h: the output channels of the last
    /// stage, `8 * base_width * expansion` (512 for ResNet-18 and -34 and
    /// 2048 for ResNet-50 and deeper, at width 1).
    pub fn representation_dim(&self) -> usize {
        8 * self.base_width() * self.arch.block_kind().expansion()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_width_rounds_fractions() {
        let mut config = EncoderConfig::new(Arch::Resnet18, Stem::Cifar);
        for (multiplier, expected) in [(1.0, 64), (2.0, 128), (0.125, 8), (0.25, 16), (0.001, 1)] {
            config.width_multiplier = multiplier;
            assert_eq!(config.base_width(), expected, "multiplier {multiplier}");
        }
    }

    #[test]
    fn representation_dim_per_arch() {
        let config = EncoderConfig::new(Arch::Resnet18, Stem::Cifar);
        assert_eq!(config.representation_dim(), 512);
        let config = EncoderConfig::new(Arch::Resnet50, Stem::Imagenet);
        assert_eq!(config.representation_dim(), 2048);
    }

    #[test]
    fn stem_resolves_from_image_size() {
        let config = EncoderConfig::default();
        assert_eq!(config.resolve_stem(32), Stem::Cifar);
        assert_eq!(config.resolve_stem(33), Stem::Imagenet);
        let config = EncoderConfig::new(Arch::Resnet18, Stem::Imagenet);
        assert_eq!(config.resolve_stem(32), Stem::Imagenet);
    }

    #[test]
    fn config_serde_uses_lowercase_names() {
        let json = r#"{"arch": "resnet18", "stem": "cifar", "width_multiplier": 0.5}"#;
        let config: EncoderConfig = serde_json::from_str(json).expect("valid config");
        assert_eq!(config.arch, Arch::Resnet18);
        assert_eq!(config.stem, Some(Stem::Cifar));
        assert!(!config.zero_init_residual);
        let unknown = r#"{"arch": "resnet18", "depth": 3}"#;
        assert!(serde_json::from_str::<EncoderConfig>(unknown).is_err());
    }

    #[test]
    fn validate_rejects_bad_width() {
        let mut config = EncoderConfig::default();
        for multiplier in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            config.width_multiplier = multiplier;
            assert!(config.validate().is_err(), "multiplier {multiplier}");
        }
    }
}
