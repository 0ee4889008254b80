//! Linear evaluation on synthetic frozen features.

use burn::tensor::Device;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use simclr::eval::{linear_eval, Features, LinearEvalConfig};

/// Rows near the scaled one-hot vector of their class, with uniform noise.
fn clustered(rows: usize, dim: usize, num_classes: usize, seed: u64) -> Features {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut data = Vec::with_capacity(rows * dim);
    let mut labels = Vec::with_capacity(rows);
    for row in 0..rows {
        let label = row % num_classes;
        for j in 0..dim {
            let center = if j == label { 3.0 } else { 0.0 };
            data.push(center + rng.random_range(-1.0f32..1.0));
        }
        labels.push(label);
    }
    Features::new(rows, dim, data, Some(labels)).expect("consistent sizes")
}

fn quick_config() -> LinearEvalConfig {
    LinearEvalConfig {
        epochs: 20,
        batch_size: 64,
        ..LinearEvalConfig::default()
    }
}

#[test]
fn linear_eval_separates_clusters() {
    let device = Device::flex();
    let train = clustered(400, 12, 8, 1);
    let test = clustered(160, 12, 8, 2);
    let top = linear_eval(&train, &test, 8, &quick_config(), &device).expect("runs");
    assert!(top.top1 > 0.95, "top1 {}", top.top1);
    assert!(
        top.top5 >= top.top1,
        "top5 {} < top1 {}",
        top.top5,
        top.top1
    );
}

#[test]
fn linear_eval_is_deterministic() {
    let device = Device::flex();
    let train = clustered(90, 6, 3, 3);
    let test = clustered(30, 6, 3, 4);
    let config = LinearEvalConfig {
        epochs: 3,
        batch_size: 16,
        ..LinearEvalConfig::default()
    };
    let first = linear_eval(&train, &test, 3, &config, &device).expect("runs");
    let second = linear_eval(&train, &test, 3, &config, &device).expect("runs");
    assert_eq!(first, second);
}

#[test]
fn linear_eval_tiny_dataset() {
    let device = Device::flex();
    // 3 rows, fewer than one batch of 256, and 2 classes.
    let train = clustered(3, 4, 2, 5);
    let test = clustered(2, 4, 2, 6);
    let top = linear_eval(&train, &test, 2, &LinearEvalConfig::default(), &device).expect("runs");
    assert!((0.0..=1.0).contains(&top.top1), "top1 {}", top.top1);
    assert_eq!(top.top5, 1.0, "every class is in the top 5 of 2 classes");
}

#[test]
fn linear_eval_rejects_bad_input() {
    let device = Device::flex();
    let train = clustered(10, 4, 4, 7);
    let test = clustered(10, 4, 4, 8);
    let config = LinearEvalConfig::default();
    let error = linear_eval(&train, &test, 3, &config, &device).expect_err("label 3 of 3 classes");
    assert!(error.to_string().contains("label 3"), "{error}");

    let unlabeled = Features::new(10, 4, test.data.clone(), None).expect("sizes");
    assert!(linear_eval(&train, &unlabeled, 4, &config, &device).is_err());

    let narrow = clustered(10, 3, 3, 9);
    assert!(linear_eval(&train, &narrow, 4, &config, &device).is_err());

    let zero_epochs = LinearEvalConfig {
        epochs: 0,
        ..LinearEvalConfig::default()
    };
    let error = linear_eval(&train, &test, 4, &zero_epochs, &device).expect_err("0 epochs");
    assert!(error.to_string().contains("linear.epochs"), "{error}");
}
