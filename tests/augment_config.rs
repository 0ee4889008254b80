//! Validation, serde and pipeline construction of `SimclrAugment`.

mod common;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use simclr::augment::{SimclrAugment, Step, StepKind};
use simclr::Error;

fn expect_invalid(settings: &SimclrAugment, field: &str, value_text: &str) {
    match settings.validate() {
        Err(Error::InvalidConfig {
            field: got,
            message,
        }) => {
            assert_eq!(got, field, "wrong field for message {message:?}");
            assert!(
                message.contains(value_text),
                "{field}: message {message:?} lacks {value_text:?}"
            );
        }
        other => panic!("{field}: expected InvalidConfig, got {other:?}"),
    }
}

#[test]
fn default_settings_validate() {
    SimclrAugment::default()
        .validate()
        .expect("defaults are valid");
}

#[test]
fn validation_names_the_field() {
    let base = SimclrAugment::default;
    let cases: Vec<(SimclrAugment, &str, &str)> = vec![
        (
            SimclrAugment {
                output_size: Some(0),
                ..base()
            },
            "augment.output_size",
            "0",
        ),
        (
            SimclrAugment {
                crop_scale: [0.0, 1.0],
                ..base()
            },
            "augment.crop_scale",
            "[0, 1]",
        ),
        (
            SimclrAugment {
                crop_scale: [0.5, 0.2],
                ..base()
            },
            "augment.crop_scale",
            "[0.5, 0.2]",
        ),
        (
            SimclrAugment {
                crop_scale: [0.5, 1.5],
                ..base()
            },
            "augment.crop_scale",
            "1.5",
        ),
        (
            SimclrAugment {
                crop_ratio: [1.5, 1.0],
                ..base()
            },
            "augment.crop_ratio",
            "1.5",
        ),
        (
            SimclrAugment {
                crop_ratio: [0.75, f64::INFINITY],
                ..base()
            },
            "augment.crop_ratio",
            "inf",
        ),
        (
            SimclrAugment {
                flip_probability: 1.5,
                ..base()
            },
            "augment.flip_probability",
            "1.5",
        ),
        (
            SimclrAugment {
                jitter_probability: -0.1,
                ..base()
            },
            "augment.jitter_probability",
            "-0.1",
        ),
        (
            SimclrAugment {
                grayscale_probability: f64::NAN,
                ..base()
            },
            "augment.grayscale_probability",
            "NaN",
        ),
        (
            SimclrAugment {
                blur_probability: 2.0,
                ..base()
            },
            "augment.blur_probability",
            "2",
        ),
        (
            SimclrAugment {
                solarize_probability: -1.0,
                ..base()
            },
            "augment.solarize_probability",
            "-1",
        ),
        (
            SimclrAugment {
                solarize_threshold: 1.2,
                ..base()
            },
            "augment.solarize_threshold",
            "1.2",
        ),
        (
            SimclrAugment {
                color_strength: -0.5,
                ..base()
            },
            "augment.color_strength",
            "-0.5",
        ),
        (
            SimclrAugment {
                color_strength: f64::NAN,
                ..base()
            },
            "augment.color_strength",
            "NaN",
        ),
        (
            SimclrAugment {
                noise_std: -1.0,
                ..base()
            },
            "augment.noise_std",
            "-1",
        ),
        (
            SimclrAugment {
                blur_sigma_pixels: [0.0, 2.0],
                ..base()
            },
            "augment.blur_sigma_pixels",
            "[0, 2]",
        ),
        (
            SimclrAugment {
                blur_kernel_fraction: 0.0,
                ..base()
            },
            "augment.blur_kernel_fraction",
            "0",
        ),
        (
            SimclrAugment {
                cutout_fraction: 1.5,
                ..base()
            },
            "augment.cutout_fraction",
            "1.5",
        ),
        (
            SimclrAugment {
                normalize_std: [0.2, 0.0, 0.2],
                ..base()
            },
            "augment.normalize_std",
            "0.0",
        ),
        (
            SimclrAugment {
                normalize_mean: [f32::NAN, 0.0, 0.0],
                ..base()
            },
            "augment.normalize_mean",
            "NaN",
        ),
        (
            SimclrAugment {
                steps: Some(vec![]),
                ..base()
            },
            "augment.steps",
            "[]",
        ),
        (
            SimclrAugment {
                steps: Some(vec![StepKind::Crop, StepKind::Crop]),
                ..base()
            },
            "augment.steps",
            "Crop",
        ),
        (
            SimclrAugment {
                blur: Some(false),
                steps: Some(vec![StepKind::Blur]),
                ..base()
            },
            "augment.blur",
            "Blur",
        ),
    ];
    for (settings, field, value_text) in &cases {
        expect_invalid(settings, field, value_text);
    }
}

#[test]
fn pipeline_rejects_invalid_settings() {
    let settings = SimclrAugment {
        flip_probability: 3.0,
        ..SimclrAugment::default()
    };
    assert!(settings.pipeline(32).is_err(), "pipeline() validates");
    assert!(
        SimclrAugment::default().pipeline(0).is_err(),
        "source side 0 without output_size"
    );
}

#[test]
fn serde_defaults_and_unknown_fields() {
    let parsed: SimclrAugment =
        serde_json::from_str(r#"{"color_strength": 0.5, "steps": ["crop", "rotation"]}"#)
            .expect("partial settings parse");
    assert_eq!(parsed.color_strength, 0.5);
    assert_eq!(parsed.steps, Some(vec![StepKind::Crop, StepKind::Rotation]));
    assert_eq!(
        parsed.crop_scale,
        SimclrAugment::default().crop_scale,
        "missing fields default"
    );
    let unknown = serde_json::from_str::<SimclrAugment>(r#"{"colour_strength": 0.5}"#);
    assert!(unknown.is_err(), "unknown fields are rejected");
    let text = serde_json::to_string(&SimclrAugment::default()).expect("serializes");
    let back: SimclrAugment = serde_json::from_str(&text).expect("round trip parses");
    assert_eq!(back, SimclrAugment::default());
}

fn has_blur(steps: &[Step]) -> bool {
    steps.iter().any(|step| matches!(step, Step::Blur { .. }))
}

#[test]
fn blur_defaults_by_output_size() {
    let settings = SimclrAugment::default();
    let small = settings.pipeline(32).expect("valid");
    assert_eq!(
        small.output_size(),
        32,
        "output_size None uses the source side"
    );
    assert!(!has_blur(small.steps()), "no blur at 32 pixels");
    let large = settings.pipeline(96).expect("valid");
    assert!(has_blur(large.steps()), "blur at 96 pixels");
    let kernel = large.steps().iter().find_map(|step| match step {
        Step::Blur { kernel_size, .. } => Some(*kernel_size),
        _ => None,
    });
    assert_eq!(kernel, Some(9), "10 % of 96 rounded to odd");
    let forced = SimclrAugment {
        blur: Some(true),
        ..SimclrAugment::default()
    };
    assert!(
        has_blur(forced.pipeline(32).expect("valid").steps()),
        "blur = true at 32 pixels"
    );
    let off = SimclrAugment {
        blur: Some(false),
        output_size: Some(224),
        ..SimclrAugment::default()
    };
    assert!(
        !has_blur(off.pipeline(512).expect("valid").steps()),
        "blur = false at 224 pixels"
    );
}

#[test]
fn explicit_steps_compose_any_pair() {
    let photo = common::photo("rocket.jpg");
    let all = [
        StepKind::Crop,
        StepKind::Color,
        StepKind::Blur,
        StepKind::Solarize,
        StepKind::Rotation,
        StepKind::Cutout,
        StepKind::Sobel,
        StepKind::Noise,
    ];
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    for first in all {
        for second in all {
            if first == second {
                continue;
            }
            let settings = SimclrAugment {
                output_size: Some(40),
                solarize_probability: 1.0,
                normalize: true,
                steps: Some(vec![first, second]),
                ..SimclrAugment::default()
            };
            let pipeline = settings.pipeline(427).expect("valid pair");
            let view = pipeline.apply(&photo, &mut rng);
            assert_eq!(
                (view.height, view.width),
                (40, 40),
                "{first:?} then {second:?}"
            );
            assert!(
                view.data.iter().all(|v| v.is_finite()),
                "{first:?} then {second:?}"
            );
        }
    }
}

#[test]
fn normalize_is_last_and_removable() {
    let photo = common::photo("coffee.png");
    let settings = SimclrAugment {
        output_size: Some(48),
        normalize: true,
        ..SimclrAugment::default()
    };
    let pipeline = settings.pipeline(400).expect("valid");
    assert!(matches!(
        pipeline.steps().last(),
        Some(Step::Normalize { .. })
    ));
    let normalized = pipeline.apply(&photo, &mut ChaCha8Rng::seed_from_u64(10));
    let plain = pipeline
        .without_normalize()
        .apply(&photo, &mut ChaCha8Rng::seed_from_u64(10));
    let plane = 48 * 48;
    for (i, (n, p)) in normalized.data.iter().zip(&plain.data).enumerate() {
        let channel = i / plane;
        let restored = n * settings.normalize_std[channel] + settings.normalize_mean[channel];
        assert!((restored - p).abs() < 1e-5, "value {i}: {restored} vs {p}");
    }
}
