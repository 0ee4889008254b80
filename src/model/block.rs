//! Residual blocks of a ResNet, with torchvision's layer layout.

use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Initializer, PaddingConfig2d};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

use super::config::BlockKind;
use super::kernels::{apply_conv, ConvKernels};

/// BatchNorm epsilon, as PyTorch's default.
pub const BATCH_NORM_EPSILON: f64 = 1e-5;

/// BatchNorm running-statistics momentum. burn 0.22.1 updates
/// `running = (1 - momentum) * running + momentum * batch`, the same
/// convention as PyTorch, so PyTorch's default 0.1 carries over unchanged.
pub const BATCH_NORM_MOMENTUM: f64 = 0.1;

/// Builds a bias-free square convolution with torchvision's initialization:
/// Kaiming normal over fan-out with the ReLU gain sqrt(2).
pub(crate) fn conv(
    in_channels: usize,
    out_channels: usize,
    kernel_size: usize,
    stride: usize,
    device: &Device,
) -> Conv2d {
    let padding = kernel_size / 2;
    Conv2dConfig::new([in_channels, out_channels], [kernel_size, kernel_size])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(
            padding, padding, padding, padding,
        ))
        .with_bias(false)
        .with_initializer(Initializer::KaimingNormal {
            gain: 2.0_f64.sqrt(),
            fan_out_only: true,
        })
        .init(device)
}

/// Builds a BatchNorm with PyTorch's epsilon and momentum.
pub(crate) fn batch_norm(num_features: usize, device: &Device) -> BatchNorm {
    BatchNormConfig::new(num_features)
        .with_epsilon(BATCH_NORM_EPSILON)
        .with_momentum(BATCH_NORM_MOMENTUM)
        .init(device)
}

/// 1x1 strided convolution and BatchNorm on the shortcut of a block whose
/// output shape differs from its input (torchvision's `downsample.0` and
/// `downsample.1`).
#[derive(Module, Debug)]
pub struct Downsample {
    pub conv: Conv2d,
    pub bn: BatchNorm,
}

/// A basic block (two 3x3 convolutions) or a bottleneck block (1x1, 3x3,
/// 1x1). `conv3` and `bn3` are present only in bottleneck blocks.
#[derive(Module, Debug)]
pub struct ResidualBlock {
    pub conv1: Conv2d,
    pub bn1: BatchNorm,
    pub conv2: Conv2d,
    pub bn2: BatchNorm,
    pub conv3: Option<Conv2d>,
    pub bn3: Option<BatchNorm>,
    pub downsample: Option<Downsample>,
    /// Implementation of the convolutions.
    #[module(skip)]
    pub conv_kernels: ConvKernels,
}

impl ResidualBlock {
    /// Builds a block of inner width `width` whose first strided
    /// convolution has stride `stride`. The block outputs
    /// `width * kind.expansion()` channels.
    pub fn new(
        kind: BlockKind,
        in_channels: usize,
        width: usize,
        stride: usize,
        zero_init_residual: bool,
        device: &Device,
    ) -> Self {
        let out_channels = width * kind.expansion();
        let downsample = (stride != 1 || in_channels != out_channels).then(|| Downsample {
            conv: conv(in_channels, out_channels, 1, stride, device),
            bn: batch_norm(out_channels, device),
        });
        let mut block = match kind {
            BlockKind::Basic => ResidualBlock {
                conv1: conv(in_channels, width, 3, stride, device),
                bn1: batch_norm(width, device),
                conv2: conv(width, width, 3, 1, device),
                bn2: batch_norm(width, device),
                conv3: None,
                bn3: None,
                downsample,
                conv_kernels: ConvKernels::default(),
            },
            BlockKind::Bottleneck => ResidualBlock {
                conv1: conv(in_channels, width, 1, 1, device),
                bn1: batch_norm(width, device),
                conv2: conv(width, width, 3, stride, device),
                bn2: batch_norm(width, device),
                conv3: Some(conv(width, out_channels, 1, 1, device)),
                bn3: Some(batch_norm(out_channels, device)),
                downsample,
                conv_kernels: ConvKernels::default(),
            },
        };
        if zero_init_residual {
            let last_bn = block.bn3.as_mut().unwrap_or(&mut block.bn2);
            let zeros = last_bn.gamma.val().zeros_like();
            last_bn.gamma = Param::initialized(last_bn.gamma.id, zeros);
        }
        block
    }

    /// Applies the block.
    ///
    /// # Shapes
    ///
    /// `[batch, in_channels, height, width]` to
    /// `[batch, out_channels, height / stride, width / stride]`.
    pub fn forward(&self, input: Tensor<4>) -> Tensor<4> {
        let kernels = self.conv_kernels;
        let shortcut = match &self.downsample {
            Some(downsample) => {
                downsample
                    .bn
                    .forward(apply_conv(&downsample.conv, input.clone(), kernels))
            }
            None => input.clone(),
        };
        let x = relu(self.bn1.forward(apply_conv(&self.conv1, input, kernels)));
        let mut x = self.bn2.forward(apply_conv(&self.conv2, x, kernels));
        if let (Some(conv3), Some(bn3)) = (&self.conv3, &self.bn3) {
            x = bn3.forward(apply_conv(conv3, relu(x), kernels));
        }
        relu(x + shortcut)
    }
}
