//! Evaluation views and feature extraction with a frozen model.

use burn::tensor::Device;
use simclr::data::{self, DataSpec, Dataset, Image, ReadOptions};
use simclr::eval::{eval_view, extract_features, EvalTransform};
use simclr::model::{
    Arch, EncoderConfig, ProjectionHeadConfig, SimclrModel, SimclrModelConfig, Stem,
};

#[test]
fn eval_view_crops_the_center() {
    // A 4x2 image whose pixel (x, y) has red value 10 * x + y.
    let rgb: Vec<u8> = (0..2)
        .flat_map(|y| (0..4).flat_map(move |x| [10 * x + y, 0, 255]))
        .collect();
    let image = Image::new(4, 2, rgb).expect("buffer size");
    let transform = EvalTransform {
        side: 2,
        normalize: None,
    };
    let view = eval_view(&image, &transform);
    assert_eq!((view.height, view.width), (2, 2));
    let red: Vec<f32> = view.planes()[0]
        .iter()
        .map(|v| (v * 255.0).round())
        .collect();
    assert_eq!(
        red,
        vec![10.0, 20.0, 11.0, 21.0],
        "columns 1 and 2 are kept"
    );

    let normalized = EvalTransform {
        side: 2,
        normalize: Some(([0.0, 0.0, 0.5], [1.0, 1.0, 0.25])),
    };
    let view = eval_view(&image, &normalized);
    assert!(view.planes()[2].iter().all(|&v| (v - 2.0).abs() < 1e-5));
}

#[test]
fn eval_view_resizes_to_side() {
    let image = Image::new(30, 20, vec![128; 30 * 20 * 3]).expect("buffer size");
    let transform = EvalTransform {
        side: 8,
        normalize: None,
    };
    let view = eval_view(&image, &transform);
    assert_eq!((view.height, view.width, view.data.len()), (8, 8, 3 * 64));
    assert!(view.data.iter().all(|&v| (v - 128.0 / 255.0).abs() < 1e-5));
}

fn small_model(device: &Device) -> SimclrModel {
    let mut encoder = EncoderConfig::new(Arch::Resnet18, Stem::Cifar);
    encoder.width_multiplier = 0.125;
    let config = SimclrModelConfig {
        encoder,
        projection_head: ProjectionHeadConfig {
            output_dim: 16,
            ..Default::default()
        },
    };
    config.init(device).expect("valid model config")
}

fn builtin_images(count: usize) -> Dataset {
    let mut splits = data::open(&DataSpec::Builtin, &ReadOptions::default()).expect("builtin");
    let mut test = splits.test.take().expect("test split");
    test.truncate(count);
    test
}

#[test]
fn extract_features_shapes_and_labels() {
    let device = Device::flex();
    let model = small_model(&device);
    let dataset = builtin_images(12);
    let transform = EvalTransform {
        side: 28,
        normalize: None,
    };
    let features = extract_features(&model, &dataset, &transform, 0, 5, &device).expect("runs");
    assert_eq!(features.rows, 12);
    assert_eq!(features.dim, 64);
    assert_eq!(features.data.len(), 12 * 64);
    assert_eq!(features.labels, dataset.labels);
    assert!(features.data.iter().all(|v| v.is_finite()));

    let projected = extract_features(&model, &dataset, &transform, 2, 5, &device).expect("runs");
    assert_eq!(projected.dim, 16);
    assert!(extract_features(&model, &dataset, &transform, 3, 5, &device).is_err());
    assert!(extract_features(&model, &dataset, &transform, 0, 0, &device).is_err());
}

#[test]
fn extract_features_is_deterministic() {
    let device = Device::flex();
    let model = small_model(&device);
    let dataset = builtin_images(10);
    let transform = EvalTransform {
        side: 28,
        normalize: None,
    };
    let first = extract_features(&model, &dataset, &transform, 0, 4, &device).expect("runs");
    let again = extract_features(&model, &dataset, &transform, 0, 4, &device).expect("runs");
    assert_eq!(first, again);
    // Inference BatchNorm uses running statistics, so rows do not depend on
    // the other images in their batch.
    let one_batch = extract_features(&model, &dataset, &transform, 0, 10, &device).expect("runs");
    let max_difference = first
        .data
        .iter()
        .zip(&one_batch.data)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(max_difference < 1e-4, "max difference {max_difference}");
}
