//! Backend extension that routes the encoder's convolutions to the kernels
//! in [`super::conv_cpu`] on the flex backend.

use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{backend_extension, Backend, Flex, TensorMetadata};
use burn::tensor::{DType, TensorData};

use super::conv_cpu::{conv2d_forward, conv2d_input_grad, conv2d_weight_grad};
use super::geometry::ConvGeometry;

/// Dense 2-D convolution without bias (one group, dilation 1), with
/// kernels written for the shapes of a ResNet training step.
#[backend_extension(Flex, Autodiff)]
pub trait ConvKernelBackend: Backend {
    /// Convolves `x` (`[N, Cin, H, W]`) with `weight` (`[Cout, Cin, kh,
    /// kw]`), returning `[N, Cout, Hout, Wout]`.
    fn kernel_conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        stride: [usize; 2],
        padding: [usize; 2],
    ) -> FloatTensor<Self>;
}

/// Gradient kernels of [`ConvKernelBackend::kernel_conv2d`], called by its
/// autodiff implementation on the inner backend.
pub trait ConvGradientBackend: Backend {
    /// Computes the gradient of `x` (shape `x_shape`) from the output
    /// gradient `grad`.
    fn kernel_conv2d_input_grad(
        weight: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        x_shape: [usize; 4],
        stride: [usize; 2],
        padding: [usize; 2],
    ) -> FloatTensor<Self>;

    /// Computes the gradient of the weight (shape `weight_shape`) from the
    /// input `x` and the output gradient `grad`.
    fn kernel_conv2d_weight_grad(
        x: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        weight_shape: [usize; 4],
        stride: [usize; 2],
        padding: [usize; 2],
    ) -> FloatTensor<Self>;
}

pub(crate) fn dims4(tensor: &impl TensorMetadata) -> [usize; 4] {
    let shape = tensor.shape();
    [shape[0], shape[1], shape[2], shape[3]]
}

/// Returns the contiguous `f32` values of `tensor`, copying only when its
/// layout is strided or offset.
fn contiguous_f32(tensor: FlexTensor) -> FlexTensor {
    assert_eq!(
        tensor.dtype(),
        DType::F32,
        "the convolution kernels take f32 tensors"
    );
    if tensor.as_slice::<f32>().is_some() {
        tensor
    } else {
        tensor.to_contiguous()
    }
}

fn values(tensor: &FlexTensor) -> &[f32] {
    tensor
        .as_slice::<f32>()
        .expect("contiguous_f32 returns a contiguous f32 tensor")
}

fn geometry(
    x_shape: [usize; 4],
    weight_shape: [usize; 4],
    stride: [usize; 2],
    padding: [usize; 2],
) -> ConvGeometry {
    ConvGeometry::new(x_shape, weight_shape, stride, padding)
        .unwrap_or_else(|error| panic!("invalid convolution: {error}"))
}

impl ConvKernelBackend for Flex {
    fn kernel_conv2d(
        x: FlexTensor,
        weight: FlexTensor,
        stride: [usize; 2],
        padding: [usize; 2],
    ) -> FlexTensor {
        let g = geometry(dims4(&x), dims4(&weight), stride, padding);
        let (x, weight) = (contiguous_f32(x), contiguous_f32(weight));
        let output = conv2d_forward(&g, values(&x), values(&weight));
        let shape = [g.batch, g.out_channels, g.out_height, g.out_width];
        FlexTensor::from_data(TensorData::new(output, shape))
    }
}

impl ConvGradientBackend for Flex {
    fn kernel_conv2d_input_grad(
        weight: FlexTensor,
        grad: FlexTensor,
        x_shape: [usize; 4],
        stride: [usize; 2],
        padding: [usize; 2],
    ) -> FlexTensor {
        let g = geometry(x_shape, dims4(&weight), stride, padding);
        let (weight, grad) = (contiguous_f32(weight), contiguous_f32(grad));
        let input_grad = conv2d_input_grad(&g, values(&weight), values(&grad));
        FlexTensor::from_data(TensorData::new(input_grad, x_shape))
    }

    fn kernel_conv2d_weight_grad(
        x: FlexTensor,
        grad: FlexTensor,
        weight_shape: [usize; 4],
        stride: [usize; 2],
        padding: [usize; 2],
    ) -> FlexTensor {
        let g = geometry(dims4(&x), weight_shape, stride, padding);
        let (x, grad) = (contiguous_f32(x), contiguous_f32(grad));
        let weight_grad = conv2d_weight_grad(&g, values(&x), values(&grad));
        FlexTensor::from_data(TensorData::new(weight_grad, weight_shape))
    }
}
