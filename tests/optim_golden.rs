//! LARS and the learning-rate schedule against reference values, and
//! optimizer state round trips.

mod common;

use burn::nn::{Linear, LinearConfig};
use burn::optim::{GradientsParams, Optimizer};
use burn::tensor::{Device, Tensor};
use common::{assert_all_close, flatten, load_golden, tensor_from_json, values_of};
use serde_json::Value;
use simclr::optim::{
    is_excluded_rank, Lars, LrScaling, LrSchedule, OptimizerConfig, OptimizerKind,
};

fn run_lars_case<const D: usize>(lars: &Lars, case: &Value, abs: f64, index: usize) {
    let device = Device::flex();
    let excluded = case["excluded"].as_bool().expect("excluded flag");
    assert_eq!(is_excluded_rank(D), excluded, "case {index}: rank {D}");
    let mut weight: Tensor<D> = tensor_from_json(&case["weight_before"], &device);
    let mut state = None;
    for (step, expected) in case["steps"].as_array().expect("steps").iter().enumerate() {
        let lr = expected["lr"].as_f64().expect("lr");
        let grad: Tensor<D> = tensor_from_json(&expected["grad"], &device);
        let (next, next_state) = lars.step(lr, weight, grad, state);
        let (expected_weight, _) = flatten(&expected["weight_after"]);
        let what = format!("case {index} step {step}");
        assert_all_close(&values_of(next.clone()), &expected_weight, abs, 0.0, &what);
        weight = next;
        state = next_state;
    }
}

#[test]
fn lars_matches_golden_steps() {
    let golden = load_golden("lars.json");
    let settings = &golden["settings"];
    let lars = Lars {
        momentum: settings["momentum"].as_f64().expect("momentum"),
        weight_decay: settings["weight_decay"].as_f64().expect("weight_decay"),
        eeta: settings["eeta"].as_f64().expect("eeta"),
    };
    let abs = golden["tolerance"]["abs"].as_f64().expect("abs tolerance");
    let cases = golden["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 3);
    for (index, case) in cases.iter().enumerate() {
        match flatten(&case["weight_before"]).1.len() {
            1 => run_lars_case::<1>(&lars, case, abs, index),
            2 => run_lars_case::<2>(&lars, case, abs, index),
            4 => run_lars_case::<4>(&lars, case, abs, index),
            rank => panic!("case {index}: unexpected rank {rank}"),
        }
    }
}

#[test]
fn lars_trust_ratio_is_one_for_zero_weight() {
    let device = Device::flex();
    let lars = Lars {
        momentum: 0.9,
        weight_decay: 1e-6,
        eeta: 0.001,
    };
    let weight = Tensor::<2>::zeros([2, 3], &device);
    let grad = Tensor::<2>::ones([2, 3], &device);
    let (next, _) = lars.step(0.5, weight, grad, None);
    assert_all_close(&values_of(next), &[-0.5; 6], 1e-7, 0.0, "zero weight");
}

#[test]
fn schedule_matches_golden() {
    let golden = load_golden("schedule.json");
    let abs = golden["tolerance"]["abs"].as_f64().expect("abs tolerance");
    for (index, case) in golden["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .enumerate()
    {
        let scaling: LrScaling =
            serde_json::from_value(case["scaling"].clone()).expect("scaling name");
        let schedule = LrSchedule::new(
            case["base_lr"].as_f64().expect("base_lr"),
            case["batch_size"].as_u64().expect("batch_size") as usize,
            scaling,
            case["total_steps"].as_u64().expect("total_steps") as usize,
            case["warmup_steps"].as_u64().expect("warmup_steps") as usize,
        )
        .expect("valid schedule");
        let (expected, _) = flatten(&case["lr_per_step"]);
        assert_eq!(expected.len(), schedule.total_steps, "case {index} length");
        let actual: Vec<f64> = (0..schedule.total_steps)
            .map(|s| schedule.lr_at(s))
            .collect();
        assert_all_close(&actual, &expected, abs, 0.0, &format!("case {index}"));
    }
}

#[test]
fn schedule_rejects_invalid_steps() {
    let error = LrSchedule::new(0.3, 256, LrScaling::Linear, 0, 0).expect_err("zero total");
    assert!(error.to_string().contains("total_steps"), "{error}");
    let error = LrSchedule::new(0.3, 256, LrScaling::Linear, 10, 11).expect_err("long warmup");
    assert!(error.to_string().contains("warmup_steps"), "{error}");
    let schedule = LrSchedule::new(0.3, 256, LrScaling::Linear, 10, 10).expect("warmup only");
    assert_eq!(schedule.lr_at(5), 0.15);
}

fn gradients(model: &Linear, scale: f32, device: &Device) -> GradientsParams {
    let input = Tensor::<2>::ones([3, 4], device).mul_scalar(scale);
    let loss = model.forward(input).powi_scalar(2).mean();
    GradientsParams::from_grads(loss.backward(), model)
}

/// A restored optimizer takes the same step as the one it was saved from,
/// so momentum and Adam moments survive a checkpoint.
#[test]
fn optimizer_state_round_trip_keeps_steps() {
    let device = Device::flex().autodiff();
    let dir = tempfile::tempdir().expect("temporary directory");
    for kind in [
        OptimizerKind::Lars,
        OptimizerKind::Sgd,
        OptimizerKind::Adamw,
    ] {
        let config = OptimizerConfig {
            kind,
            weight_decay: 1e-2,
            ..OptimizerConfig::default()
        };
        let mut model = LinearConfig::new(4, 2).init(&device);
        let mut optimizer = config.init().expect("valid config");
        for scale in [1.0, 0.5] {
            let grads = gradients(&model, scale, &device);
            model = optimizer.step(0.1, model, grads);
        }
        let path = dir.path().join(format!("{kind:?}.bpk"));
        optimizer.save_state(&path).expect("save state");
        let mut restored = config
            .init()
            .expect("valid config")
            .load_state(&path)
            .expect("load");
        let mut fresh = config.init().expect("valid config");

        let continued = optimizer.step(0.1, model.clone(), gradients(&model, -0.2, &device));
        let resumed = restored.step(0.1, model.clone(), gradients(&model, -0.2, &device));
        let restarted = fresh.step(0.1, model.clone(), gradients(&model, -0.2, &device));
        let continued = values_of(continued.weight.val());
        let resumed = values_of(resumed.weight.val());
        let restarted = values_of(restarted.weight.val());
        assert_all_close(
            &resumed,
            &continued,
            1e-7,
            0.0,
            &format!("{kind:?} resumed"),
        );
        assert_ne!(restarted, continued, "{kind:?}: state has no effect");
    }
}

#[test]
fn sgd_skips_weight_decay_for_biases() {
    let device = Device::flex().autodiff();
    let config = OptimizerConfig {
        kind: OptimizerKind::Sgd,
        weight_decay: 0.5,
        ..OptimizerConfig::default()
    };
    let model = LinearConfig::new(2, 2).init(&device);
    let bias_before = values_of(model.bias.as_ref().expect("bias").val());
    let weight_before = values_of(model.weight.val());
    // A zero loss has zero gradients, so only weight decay moves parameters.
    let loss = model
        .forward(Tensor::<2>::zeros([1, 2], &device))
        .sum()
        .mul_scalar(0.0);
    let grads = GradientsParams::from_grads(loss.backward(), &model);
    let mut optimizer = config.init().expect("valid config");
    let model = optimizer.step(0.1, model, grads);
    let bias_after = values_of(model.bias.as_ref().expect("bias").val());
    let weight_after = values_of(model.weight.val());
    assert_eq!(bias_after, bias_before, "bias decayed");
    let expected: Vec<f64> = weight_before
        .iter()
        .map(|w| w * (1.0 - 0.1 * 0.5))
        .collect();
    assert_all_close(&weight_after, &expected, 1e-6, 0.0, "weight decay");
}

#[test]
fn optimizer_config_rejects_bad_values() {
    let config = OptimizerConfig {
        momentum: 1.5,
        ..OptimizerConfig::default()
    };
    let error = config.init().err().expect("momentum out of range");
    assert!(error.to_string().contains("momentum"), "{error}");
    let json = r#"{"kind": "adamw", "base_lr": 0.001, "lr": 1}"#;
    assert!(
        serde_json::from_str::<OptimizerConfig>(json).is_err(),
        "unknown field"
    );
}
