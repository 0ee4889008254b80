//! Contrastive losses against PyTorch values and a direct implementation
//! of their definitions.

mod common;

use burn::tensor::{Device, Tensor, TensorData};
use common::{assert_all_close, flatten, load_golden, tensor_from_json, values_of};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use simclr::loss::{margin_triplet, nt_logistic, nt_xent, LossConfig};

fn scalar(tensor: Tensor<1>) -> f64 {
    values_of(tensor)[0]
}

#[test]
fn nt_xent_matches_golden_cases() {
    let golden = load_golden("nt_xent.json");
    let loss_rel = golden["tolerance"]["loss_rel"].as_f64().expect("loss_rel");
    let grad_abs = golden["tolerance"]["grad_abs"].as_f64().expect("grad_abs");
    let device = Device::flex().autodiff();
    let cases = golden["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 10);
    for (index, case) in cases.iter().enumerate() {
        let temperature = case["temperature"].as_f64().expect("temperature");
        let z_a: Tensor<2> = tensor_from_json(&case["z_a"], &device).require_grad();
        let z_b: Tensor<2> = tensor_from_json(&case["z_b"], &device).require_grad();
        let output = nt_xent(z_a.clone(), z_b.clone(), temperature).expect("valid inputs");
        let expected = case["loss"].as_f64().expect("loss");
        let what = format!("case {index} loss");
        assert_all_close(
            &[scalar(output.loss.clone())],
            &[expected],
            0.0,
            loss_rel,
            &what,
        );

        if case["grad_z_a"].is_null() {
            continue;
        }
        let grads = output.loss.backward();
        for (name, z) in [("grad_z_a", &z_a), ("grad_z_b", &z_b)] {
            let grad = z.grad(&grads).expect("gradient of a tracked input");
            let (expected, _) = flatten(&case[name]);
            let what = format!("case {index} {name}");
            assert_all_close(&values_of(grad), &expected, grad_abs, 0.0, &what);
        }
    }
}

fn random_views(rng: &mut ChaCha8Rng, batch_size: usize, dim: usize) -> (Vec<f32>, Vec<f32>) {
    let mut draw = || {
        (0..batch_size * dim)
            .map(|_| rng.random_range(-2.0..2.0))
            .collect()
    };
    (draw(), draw())
}

/// Rows of both views, L2-normalized, in the order a then b.
fn normalized_rows(a: &[f32], b: &[f32], dim: usize) -> Vec<Vec<f64>> {
    a.chunks(dim)
        .chain(b.chunks(dim))
        .map(|row| {
            let norm = row
                .iter()
                .map(|&v| f64::from(v).powi(2))
                .sum::<f64>()
                .sqrt();
            row.iter().map(|&v| f64::from(v) / norm).collect()
        })
        .collect()
}

fn cosine(u: &[f64], v: &[f64]) -> f64 {
    u.iter().zip(v).map(|(x, y)| x * y).sum()
}

/// NT-Xent written as its definition: one loop per anchor, in f64.
fn nt_xent_by_definition(a: &[f32], b: &[f32], dim: usize, temperature: f64) -> f64 {
    let rows = normalized_rows(a, b, dim);
    let num_views = rows.len();
    let batch_size = num_views / 2;
    let mut total = 0.0;
    for i in 0..num_views {
        let positive = (i + batch_size) % num_views;
        let mut denominator = 0.0;
        for k in (0..num_views).filter(|&k| k != i) {
            denominator += (cosine(&rows[i], &rows[k]) / temperature).exp();
        }
        let numerator = (cosine(&rows[i], &rows[positive]) / temperature).exp();
        total += -(numerator / denominator).ln();
    }
    total / num_views as f64
}

fn tensor(values: &[f32], batch_size: usize, dim: usize, device: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(values.to_vec(), [batch_size, dim]), device)
}

#[test]
fn nt_xent_matches_loop_definition() {
    let device = Device::flex();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for (batch_size, dim, temperature) in [
        (2, 1, 0.5),
        (3, 4, 0.1),
        (8, 16, 1.0),
        (17, 32, 0.2),
        (5, 128, 2.0),
    ] {
        let (a, b) = random_views(&mut rng, batch_size, dim);
        let expected = nt_xent_by_definition(&a, &b, dim, temperature);
        let z_a = tensor(&a, batch_size, dim, &device);
        let z_b = tensor(&b, batch_size, dim, &device);
        let loss = scalar(nt_xent(z_a, z_b, temperature).expect("valid inputs").loss);
        let what = format!("N={batch_size} dim={dim} temperature={temperature}");
        assert_all_close(&[loss], &[expected], 0.0, 1e-5, &what);
    }
}

#[test]
fn nt_xent_symmetric_in_views() {
    let device = Device::flex();
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let (a, b) = random_views(&mut rng, 6, 10);
    let ab = nt_xent(tensor(&a, 6, 10, &device), tensor(&b, 6, 10, &device), 0.3);
    let ba = nt_xent(tensor(&b, 6, 10, &device), tensor(&a, 6, 10, &device), 0.3);
    let ab = scalar(ab.expect("valid inputs").loss);
    let ba = scalar(ba.expect("valid inputs").loss);
    assert_all_close(&[ab], &[ba], 0.0, 1e-6, "swapped views");
}

#[test]
fn nt_xent_identical_embeddings() {
    let device = Device::flex();
    for batch_size in [2, 4, 16] {
        let values = vec![0.3_f32; batch_size * 5];
        let z = tensor(&values, batch_size, 5, &device);
        let output = nt_xent(z.clone(), z, 0.001).expect("valid inputs");
        let expected = ((2 * batch_size - 1) as f64).ln();
        let loss = scalar(output.loss);
        assert_all_close(&[loss], &[expected], 0.0, 1e-6, "identical embeddings");
    }
}

#[test]
fn nt_xent_extreme_temperatures_stay_finite() {
    let device = Device::flex();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let (a, b) = random_views(&mut rng, 4, 8);
    for temperature in [1e-4, 1e-2, 1e3] {
        let z_a = tensor(&a, 4, 8, &device);
        let z_b = tensor(&b, 4, 8, &device);
        let loss = scalar(nt_xent(z_a, z_b, temperature).expect("valid inputs").loss);
        let expected = nt_xent_by_definition(&a, &b, 8, temperature);
        assert!(loss.is_finite(), "temperature {temperature}: loss {loss}");
        if expected.is_finite() {
            let what = format!("temperature {temperature}");
            assert_all_close(&[loss], &[expected], 1e-3, 1e-4, &what);
        }
    }
}

#[test]
fn nt_xent_rejects_invalid_inputs() {
    let device = Device::flex();
    let z = Tensor::<2>::ones([4, 3], &device);
    for temperature in [0.0, -0.5, f64::NAN, f64::INFINITY] {
        let error = nt_xent(z.clone(), z.clone(), temperature).expect_err("bad temperature");
        assert!(error.to_string().contains("temperature"), "{error}");
    }
    let other = Tensor::<2>::ones([4, 2], &device);
    let error = nt_xent(z.clone(), other, 0.5).expect_err("mismatched shapes");
    assert!(error.to_string().contains("[4, 3]"), "{error}");
    assert!(error.to_string().contains("[4, 2]"), "{error}");
    let single = Tensor::<2>::ones([1, 3], &device);
    let error = nt_xent(single.clone(), single, 0.5).expect_err("batch of one");
    assert!(error.to_string().contains("[1, 3]"), "{error}");
}

#[test]
fn positive_accuracy_counts_anchors() {
    let device = Device::flex();
    // Image 0 and 1 have orthogonal, well separated views: every anchor's
    // closest view is its positive.
    let a = [1.0, 0.0, 0.0, 1.0];
    let b = [0.9, 0.1, 0.1, 0.9];
    let output = nt_xent(tensor(&a, 2, 2, &device), tensor(&b, 2, 2, &device), 0.5);
    assert_eq!(output.expect("valid inputs").positive_accuracy(), 1.0);
    // Swapping the rows of view b makes every positive the farther view.
    let b = [0.1, 0.9, 0.9, 0.1];
    let output = nt_xent(tensor(&a, 2, 2, &device), tensor(&b, 2, 2, &device), 0.5);
    assert_eq!(output.expect("valid inputs").positive_accuracy(), 0.0);
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[test]
fn nt_logistic_matches_loop_definition() {
    let device = Device::flex();
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let (batch_size, dim, temperature) = (5, 6, 0.2);
    let (a, b) = random_views(&mut rng, batch_size, dim);
    let rows = normalized_rows(&a, &b, dim);
    let mut expected = 0.0;
    for i in 0..2 * batch_size {
        let positive = (i + batch_size) % (2 * batch_size);
        let mut anchor = -sigmoid(cosine(&rows[i], &rows[positive]) / temperature).ln();
        let negatives: Vec<usize> = (0..2 * batch_size)
            .filter(|&k| k != i && k != positive)
            .collect();
        for &k in &negatives {
            anchor -=
                sigmoid(-cosine(&rows[i], &rows[k]) / temperature).ln() / negatives.len() as f64;
        }
        expected += anchor / (2 * batch_size) as f64;
    }
    let output = nt_logistic(
        tensor(&a, batch_size, dim, &device),
        tensor(&b, batch_size, dim, &device),
        temperature,
    );
    let loss = scalar(output.expect("valid inputs").loss);
    assert_all_close(&[loss], &[expected], 0.0, 1e-5, "nt_logistic");
}

#[test]
fn margin_triplet_matches_loop_definition() {
    let device = Device::flex();
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let (batch_size, dim, margin) = (6, 4, 0.5);
    let (a, b) = random_views(&mut rng, batch_size, dim);
    let rows = normalized_rows(&a, &b, dim);
    let num_views = 2 * batch_size;
    let (mut all_negatives, mut semi_hard) = (0.0, 0.0);
    for i in 0..num_views {
        let positive = (i + batch_size) % num_views;
        let s_pos = cosine(&rows[i], &rows[positive]);
        let negatives: Vec<f64> = (0..num_views)
            .filter(|&k| k != i && k != positive)
            .map(|k| cosine(&rows[i], &rows[k]))
            .collect();
        let hinge = |s_neg: f64| (s_neg - s_pos + margin).max(0.0);
        all_negatives += negatives.iter().map(|&s| hinge(s)).sum::<f64>() / negatives.len() as f64;
        let below: Vec<f64> = negatives.iter().copied().filter(|&s| s < s_pos).collect();
        let chosen = if below.is_empty() {
            negatives.iter().copied().fold(f64::INFINITY, f64::min)
        } else {
            below.iter().copied().fold(f64::NEG_INFINITY, f64::max)
        };
        semi_hard += hinge(chosen);
    }
    for (mining, expected) in [(false, all_negatives), (true, semi_hard)] {
        let expected = expected / num_views as f64;
        let z_a = tensor(&a, batch_size, dim, &device);
        let z_b = tensor(&b, batch_size, dim, &device);
        let loss = scalar(
            margin_triplet(z_a, z_b, margin, mining)
                .expect("valid inputs")
                .loss,
        );
        let what = format!("semi_hard={mining}");
        assert_all_close(&[loss], &[expected], 1e-6, 1e-5, &what);
    }
}

#[test]
fn loss_config_parses_kinds() {
    let config: LossConfig = serde_json::from_str(r#"{"kind": "nt_xent"}"#).expect("nt_xent");
    assert_eq!(config, LossConfig::NtXent { temperature: 0.5 });
    let json = r#"{"kind": "margin_triplet", "semi_hard": true}"#;
    let config: LossConfig = serde_json::from_str(json).expect("margin_triplet");
    assert_eq!(
        config,
        LossConfig::MarginTriplet {
            margin: 0.5,
            semi_hard: true
        }
    );
    let json = r#"{"kind": "nt_logistic", "temperature": 0.2, "margin": 1}"#;
    assert!(
        serde_json::from_str::<LossConfig>(json).is_err(),
        "unknown field accepted"
    );
}
