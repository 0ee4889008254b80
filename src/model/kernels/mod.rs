//! CPU convolution kernels for the flex backend, reached through burn's
//! backend extension point, with burn's own convolution as the fallback.

mod autodiff;
mod conv_cpu;
mod extension;
mod geometry;

use burn::backend::{Dispatch, DispatchDevice};
use burn::nn::conv::Conv2d;
use burn::nn::PaddingConfig2d;
use burn::tensor::module::conv2d as burn_conv2d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{DType, Tensor};
use serde::{Deserialize, Serialize};

pub use extension::{ConvGradientBackend, ConvKernelBackend};
pub use geometry::ConvGeometry;

/// Implementation of the encoder's convolutions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConvKernels {
    /// burn's `conv2d` on every backend.
    #[default]
    Burn,
    /// The kernels of this module on flex devices (with or without
    /// autodiff) for `f32` tensors, burn's `conv2d` elsewhere.
    Custom,
}

/// Applies a bias-free dense convolution with the given stride and padding.
///
/// # Shapes
///
/// `x` `[N, Cin, H, W]` and `weight` `[Cout, Cin, kh, kw]` to
/// `[N, Cout, Hout, Wout]`.
pub fn conv2d(
    x: Tensor<4>,
    weight: Tensor<4>,
    stride: [usize; 2],
    padding: [usize; 2],
    kernels: ConvKernels,
) -> Tensor<4> {
    if kernels == ConvKernels::Custom && runs_custom_kernels(&x) && x.dtype() == weight.dtype() {
        let output = <Dispatch as ConvKernelBackend>::kernel_conv2d(
            x.into_dispatch(),
            weight.into_dispatch(),
            stride,
            padding,
        );
        return Tensor::from_dispatch(output);
    }
    burn_conv2d(
        x,
        weight,
        None,
        ConvOptions::new(stride, padding, [1, 1], 1),
    )
}

fn runs_custom_kernels(x: &Tensor<4>) -> bool {
    let device = x.device().inner();
    matches!(device.as_dispatch(), DispatchDevice::Flex(_)) && x.dtype() == DType::F32
}

/// Applies `conv` to `x`, with this module's kernels when `kernels` is
/// [`ConvKernels::Custom`] and the layer is one they cover (no bias, one
/// group, dilation 1, explicit symmetric padding), with `conv.forward`
/// otherwise.
pub fn apply_conv(conv: &Conv2d, x: Tensor<4>, kernels: ConvKernels) -> Tensor<4> {
    let padding = match conv.padding {
        PaddingConfig2d::Explicit(top, left, bottom, right) if top == bottom && left == right => {
            Some([top, left])
        }
        _ => None,
    };
    match padding {
        Some(padding)
            if kernels == ConvKernels::Custom
                && conv.bias.is_none()
                && conv.groups == 1
                && conv.dilation == [1, 1] =>
        {
            conv2d(x, conv.weight.val(), conv.stride, padding, kernels)
        }
        _ => conv.forward(x),
    }
}
