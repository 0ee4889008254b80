//! A few SimCLR steps on real CIFAR-10 images lower the NT-Xent loss.

use std::collections::HashSet;

use burn::module::{Module, ModuleVisitor, Param, ParamId};
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};
use simclr::loss::nt_xent;
use simclr::model::{Arch, EncoderConfig, ProjectionHeadConfig, SimclrModelConfig, Stem};
use simclr::optim::{OptimizerConfig, OptimizerKind};

const NUM_IMAGES: usize = 16;
const SIZE_PX: usize = 32;
const RECORD_BYTES: usize = 1 + 3 * SIZE_PX * SIZE_PX;

/// Reads the first images of a CIFAR-10 binary batch as `[channel][y][x]`
/// values in [0, 1].
fn read_cifar_images() -> Vec<Vec<f32>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/cifar10-sample/test_batch.bin"
    );
    let bytes = std::fs::read(path).expect("CIFAR-10 fixture");
    assert!(
        bytes.len() >= NUM_IMAGES * RECORD_BYTES,
        "fixture has {} bytes",
        bytes.len()
    );
    bytes
        .chunks_exact(RECORD_BYTES)
        .take(NUM_IMAGES)
        .map(|record| record[1..].iter().map(|&b| f32::from(b) / 255.0).collect())
        .collect()
}

/// View a: horizontal flip. View b: a crop shifted by (dy, dx) with edge
/// padding, which keeps the size.
fn two_views(image: &[f32], dy: usize, dx: usize) -> (Vec<f32>, Vec<f32>) {
    let plane = SIZE_PX * SIZE_PX;
    let mut flipped = vec![0.0; image.len()];
    let mut shifted = vec![0.0; image.len()];
    for c in 0..3 {
        for y in 0..SIZE_PX {
            for x in 0..SIZE_PX {
                let out = c * plane + y * SIZE_PX + x;
                flipped[out] = image[c * plane + y * SIZE_PX + (SIZE_PX - 1 - x)];
                let (sy, sx) = ((y + dy).min(SIZE_PX - 1), (x + dx).min(SIZE_PX - 1));
                shifted[out] = image[c * plane + sy * SIZE_PX + sx];
            }
        }
    }
    (flipped, shifted)
}

fn batch(views: Vec<Vec<f32>>, device: &Device) -> Tensor<4> {
    let values: Vec<f32> = views.into_iter().flatten().collect();
    Tensor::from_data(
        TensorData::new(values, [NUM_IMAGES, 3, SIZE_PX, SIZE_PX]),
        device,
    )
}

/// Collects the ids of trainable parameters and of those without a
/// non-zero gradient.
struct GradientCheck<'a> {
    grads: &'a GradientsParams,
    trainable: HashSet<ParamId>,
    without_gradient: Vec<ParamId>,
}

impl ModuleVisitor for GradientCheck<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if !param.val().is_require_grad() {
            return;
        }
        self.trainable.insert(param.id);
        let has_gradient = self
            .grads
            .get::<D>(param.id)
            .is_some_and(|grad| grad.abs().max().into_scalar::<f32>() > 0.0);
        if !has_gradient {
            self.without_gradient.push(param.id);
        }
    }
}

#[test]
fn simclr_steps_lower_nt_xent() {
    let device = Device::flex().autodiff();
    device.seed(0);
    let images = read_cifar_images();
    let (view_a, view_b): (Vec<_>, Vec<_>) = images
        .iter()
        .enumerate()
        .map(|(i, image)| two_views(image, 1 + i % 3, 2 - i % 3))
        .unzip();
    let view_a = batch(view_a, &device);
    let view_b = batch(view_b, &device);

    let mut encoder = EncoderConfig::new(Arch::Resnet18, Stem::Cifar);
    encoder.width_multiplier = 0.125;
    let projection_head = ProjectionHeadConfig {
        output_dim: 32,
        ..Default::default()
    };
    let config = SimclrModelConfig {
        encoder,
        projection_head,
    };
    let mut model = config.init(&device).expect("valid model config");
    let optimizer_config = OptimizerConfig {
        kind: OptimizerKind::Lars,
        base_lr: 1.0,
        ..OptimizerConfig::default()
    };
    let mut optimizer = optimizer_config.init().expect("valid optimizer config");
    let temperature = 0.5;

    let mut losses = Vec::new();
    for step in 0..8 {
        let (_, z_a) = model.forward(view_a.clone());
        let (_, z_b) = model.forward(view_b.clone());
        let output = nt_xent(z_a, z_b, temperature).expect("valid views");
        let loss = output.loss.clone().into_scalar::<f32>();
        assert!(loss.is_finite(), "step {step}: loss {loss}");
        losses.push(loss);
        let grads = GradientsParams::from_grads(output.loss.backward(), &model);
        if step == 0 {
            let mut check = GradientCheck {
                grads: &grads,
                trainable: HashSet::new(),
                without_gradient: Vec::new(),
            };
            model.visit(&mut check);
            assert!(
                check.trainable.len() > 60,
                "{} trainable tensors",
                check.trainable.len()
            );
            assert!(
                check.without_gradient.is_empty(),
                "{} without gradient",
                check.without_gradient.len()
            );
        }
        model = optimizer.step(1.0, model, grads);
    }
    let (first, last) = (losses[0], losses[losses.len() - 1]);
    assert!(
        last < first - 0.05,
        "loss went from {first} to {last}: {losses:?}"
    );
}
