//! The custom convolution kernels against burn's `conv2d`: forward output
//! and both gradients, on shapes with strides, padding and odd sizes.

use burn::tensor::module::conv2d as burn_conv2d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Device, Distribution, Tensor, TensorData};
use simclr::model::kernels::{conv2d, ConvKernels};
use simclr::model::{Arch, Encoder, EncoderConfig, Stem};

/// `[batch, in_channels, out_channels, height, width, kernel, stride, padding]`.
const CASES: [[usize; 8]; 10] = [
    [2, 3, 4, 7, 5, 3, 1, 1],
    [3, 5, 6, 9, 9, 3, 2, 1],
    [2, 4, 8, 8, 8, 1, 1, 0],
    [2, 4, 8, 9, 7, 1, 2, 0],
    [1, 3, 5, 11, 13, 7, 2, 3],
    [5, 6, 7, 6, 6, 3, 1, 0],
    [40, 3, 4, 2, 2, 3, 1, 1],
    [37, 4, 5, 4, 4, 3, 1, 1],
    [2, 2, 3, 5, 5, 3, 3, 2],
    [33, 6, 3, 3, 5, 1, 1, 0],
];

/// Largest absolute difference, relative to the largest magnitude of
/// `expected` (or 1 when that is smaller).
fn relative_error<const D: usize>(actual: Tensor<D>, expected: Tensor<D>) -> f32 {
    let scale = expected.clone().abs().max().into_scalar::<f32>().max(1.0);
    let difference = (actual - expected).abs().max().into_scalar::<f32>();
    difference / scale
}

struct Outputs {
    output: Tensor<4>,
    x_grad: Tensor<4>,
    weight_grad: Tensor<4>,
}

/// Input, weight and upstream gradient of one case, drawn once so that
/// both implementations see the same values even when tests run in
/// parallel and share the random generator.
struct Inputs {
    x: TensorData,
    weight: TensorData,
    upstream: TensorData,
}

fn draw_inputs(case: [usize; 8]) -> Inputs {
    let [batch, in_channels, out_channels, height, width, kernel, stride, padding] = case;
    let device = Device::flex();
    let uniform = Distribution::Uniform(-1.0, 1.0);
    let out_size = |size: usize| (size + 2 * padding - kernel) / stride + 1;
    let draw = |shape: [usize; 4]| Tensor::<4>::random(shape, uniform, &device).into_data();
    Inputs {
        x: draw([batch, in_channels, height, width]),
        weight: draw([out_channels, in_channels, kernel, kernel]),
        upstream: draw([batch, out_channels, out_size(height), out_size(width)]),
    }
}

/// Runs a convolution and backpropagates `sum(output * upstream)`.
fn run(case: [usize; 8], kernels: ConvKernels, inputs: &Inputs) -> Outputs {
    let [_, _, _, _, _, _, stride, padding] = case;
    let device = Device::flex().autodiff();
    let x = Tensor::<4>::from_data(inputs.x.clone(), &device).require_grad();
    let weight = Tensor::<4>::from_data(inputs.weight.clone(), &device).require_grad();
    let output = match kernels {
        ConvKernels::Burn => {
            let options = ConvOptions::new([stride; 2], [padding; 2], [1, 1], 1);
            burn_conv2d(x.clone(), weight.clone(), None, options)
        }
        ConvKernels::Custom => conv2d(
            x.clone(),
            weight.clone(),
            [stride; 2],
            [padding; 2],
            kernels,
        ),
    };
    let upstream = Tensor::<4>::from_data(inputs.upstream.clone(), &device);
    let grads = (output.clone() * upstream).sum().backward();
    Outputs {
        output: output.inner(),
        x_grad: x.grad(&grads).expect("input gradient"),
        weight_grad: weight.grad(&grads).expect("weight gradient"),
    }
}

#[test]
fn custom_conv_matches_burn() {
    for case in CASES {
        let inputs = draw_inputs(case);
        let expected = run(case, ConvKernels::Burn, &inputs);
        let actual = run(case, ConvKernels::Custom, &inputs);
        assert_eq!(
            actual.output.dims(),
            expected.output.dims(),
            "case {case:?}"
        );
        let output_error = relative_error(actual.output, expected.output);
        assert!(
            output_error < 1e-5,
            "case {case:?}: output error {output_error}"
        );
        let x_error = relative_error(actual.x_grad, expected.x_grad);
        assert!(
            x_error < 1e-5,
            "case {case:?}: input gradient error {x_error}"
        );
        let weight_error = relative_error(actual.weight_grad, expected.weight_grad);
        assert!(
            weight_error < 1e-5,
            "case {case:?}: weight gradient error {weight_error}"
        );
    }
}

#[test]
fn custom_conv_without_autodiff() {
    let device = Device::flex();
    let uniform = Distribution::Uniform(-1.0, 1.0);
    let x = Tensor::<4>::random([3, 4, 9, 6], uniform, &device);
    let weight = Tensor::<4>::random([5, 4, 3, 3], uniform, &device);
    let options = ConvOptions::new([2, 1], [1, 0], [1, 1], 1);
    let expected = burn_conv2d(x.clone(), weight.clone(), None, options);
    let actual = conv2d(
        x.clone(),
        weight.clone(),
        [2, 1],
        [1, 0],
        ConvKernels::Custom,
    );
    assert_eq!(actual.dims(), expected.dims());
    let error = relative_error(actual, expected);
    assert!(error < 1e-5, "output error {error}");
}

fn set_kernels(encoder: &mut Encoder, kernels: ConvKernels) {
    encoder.conv_kernels = kernels;
    let stages = [
        &mut encoder.layer1,
        &mut encoder.layer2,
        &mut encoder.layer3,
        &mut encoder.layer4,
    ];
    for block in stages.into_iter().flatten() {
        block.conv_kernels = kernels;
    }
}

#[test]
fn encoder_custom_kernels_match_burn() {
    let device = Device::flex().autodiff();
    let mut config = EncoderConfig::new(Arch::Resnet18, Stem::Cifar);
    config.width_multiplier = 0.125;
    let mut encoder = config.init(&device).expect("valid encoder config");
    let images = Tensor::<4>::random([4, 3, 16, 16], Distribution::Default, &device);
    let mut features = |kernels: ConvKernels| {
        set_kernels(&mut encoder, kernels);
        let h = encoder.forward(images.clone());
        let grads = h.clone().powi_scalar(2).sum().backward();
        let stem_grad = encoder.conv1.weight.grad(&grads).expect("stem gradient");
        (h.inner(), stem_grad)
    };
    let (expected_h, expected_grad) = features(ConvKernels::Burn);
    let (actual_h, actual_grad) = features(ConvKernels::Custom);
    let h_error = relative_error(actual_h, expected_h);
    assert!(h_error < 1e-4, "representation error {h_error}");
    let grad_error = relative_error(actual_grad, expected_grad);
    assert!(grad_error < 1e-3, "stem weight gradient error {grad_error}");
}
