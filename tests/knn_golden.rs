//! Weighted kNN against reference predictions from PyTorch.

use burn::tensor::Device;
use serde::Deserialize;
use simclr::eval::{knn_accuracy, knn_ranked_classes, Features, KnnConfig};

#[derive(Deserialize)]
struct Golden {
    train_features: Vec<Vec<f32>>,
    train_labels: Vec<usize>,
    test_features: Vec<Vec<f32>>,
    test_labels: Vec<usize>,
    num_classes: usize,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    k: usize,
    temperature: f64,
    predictions: Vec<usize>,
    top1: f64,
}

fn features(rows: &[Vec<f32>], labels: &[usize]) -> Features {
    let dim = rows[0].len();
    Features::new(rows.len(), dim, rows.concat(), Some(labels.to_vec())).unwrap()
}

fn golden() -> Golden {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/knn.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn knn_matches_reference_predictions() {
    let golden = golden();
    let train = features(&golden.train_features, &golden.train_labels);
    let test = features(&golden.test_features, &golden.test_labels);
    let device = Device::flex();
    for case in &golden.cases {
        let config = KnnConfig {
            k: case.k,
            temperature: case.temperature,
        };
        let ranked =
            knn_ranked_classes(&train, &test, golden.num_classes, &config, &device).unwrap();
        let predictions: Vec<usize> = ranked.iter().map(|classes| classes[0]).collect();
        assert_eq!(
            predictions, case.predictions,
            "k={} temperature={}",
            case.k, case.temperature
        );
        let accuracy = knn_accuracy(&train, &test, golden.num_classes, &config, &device).unwrap();
        assert!(
            (accuracy.top1 - case.top1).abs() < 1e-6,
            "k={}: {} vs {}",
            case.k,
            accuracy.top1,
            case.top1
        );
        assert!(accuracy.top5 >= accuracy.top1);
    }
}

#[test]
fn knn_on_tiny_dataset() {
    let train = Features::new(2, 2, vec![1.0, 0.0, 0.0, 1.0], Some(vec![0, 1])).unwrap();
    let test = Features::new(
        3,
        2,
        vec![0.9, 0.1, 0.2, 0.8, 0.0, 2.0],
        Some(vec![0, 1, 1]),
    )
    .unwrap();
    let config = KnnConfig::default();
    let accuracy = knn_accuracy(&train, &test, 2, &config, &Device::flex()).unwrap();
    assert_eq!(accuracy.top1, 1.0);
    assert_eq!(accuracy.top5, 1.0);
}

#[test]
fn knn_rejects_bad_settings() {
    let train = Features::new(1, 2, vec![1.0, 0.0], Some(vec![0])).unwrap();
    let test = Features::new(1, 3, vec![1.0, 0.0, 0.0], Some(vec![0])).unwrap();
    let device = Device::flex();
    let zero_k = KnnConfig {
        k: 0,
        temperature: 0.1,
    };
    let error = knn_accuracy(&train, &train, 1, &zero_k, &device).unwrap_err();
    assert!(error.to_string().contains("knn.k"), "{error}");
    let bad_t = KnnConfig {
        k: 1,
        temperature: -1.0,
    };
    let error = knn_accuracy(&train, &train, 1, &bad_t, &device).unwrap_err();
    assert!(error.to_string().contains("-1"), "{error}");
    let error = knn_accuracy(&train, &test, 1, &KnnConfig::default(), &device).unwrap_err();
    assert!(error.to_string().contains("dim 2"), "{error}");
}
