//! Statistics of the random augmentation parameters over many seeded draws,
//! on real photos and CIFAR-10 images.

mod common;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use simclr::augment::{
    horizontal_flip, jitter_factor_range, sample_crop_box, sample_jitter, CropBox, JitterOp,
    SimclrAugment, StepKind, ViewPipeline,
};

const SCALE: [f64; 2] = [0.08, 1.0];
const RATIO: [f64; 2] = [3.0 / 4.0, 4.0 / 3.0];

/// Asserts that `count` hits out of `draws` fit `probability` within four
/// standard deviations.
fn assert_rate(name: &str, count: usize, draws: usize, probability: f64) {
    let rate = count as f64 / draws as f64;
    let sigma = (probability * (1.0 - probability) / draws as f64).sqrt();
    assert!(
        (rate - probability).abs() <= 4.0 * sigma,
        "{name}: rate {rate:.4} over {draws} draws, expected {probability} +- {:.4}",
        4.0 * sigma
    );
}

#[test]
fn crop_boxes_within_bounds() {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for name in common::PHOTOS {
        let photo = common::photo(name);
        let (height, width) = (photo.height, photo.width);
        let area = (height * width) as f64;
        // Rounding each side to whole pixels moves the ratio and area by up
        // to about one pixel over the shorter crop side.
        let min_side = (SCALE[0] * area * RATIO[0]).sqrt();
        let slack = 1.0 / min_side;
        let (mut smallest, mut largest, mut log_ratio_sum) = (f64::MAX, 0.0f64, 0.0);
        let draws = 5000;
        for _ in 0..draws {
            let crop = sample_crop_box(height, width, SCALE, RATIO, &mut rng);
            assert!(
                crop.top + crop.height <= height,
                "{name}: {crop:?} below the image"
            );
            assert!(
                crop.left + crop.width <= width,
                "{name}: {crop:?} right of the image"
            );
            let fraction = (crop.height * crop.width) as f64 / area;
            let ratio = crop.width as f64 / crop.height as f64;
            assert!(
                fraction >= SCALE[0] * (1.0 - 2.0 * slack),
                "{name}: area {fraction}"
            );
            assert!(fraction <= 1.0, "{name}: area {fraction}");
            assert!(
                ratio >= RATIO[0] * (1.0 - 2.0 * slack),
                "{name}: ratio {ratio}"
            );
            assert!(
                ratio <= RATIO[1] * (1.0 + 2.0 * slack),
                "{name}: ratio {ratio}"
            );
            smallest = smallest.min(fraction);
            largest = largest.max(fraction);
            log_ratio_sum += ratio.ln();
        }
        assert!(smallest < 0.1, "{name}: smallest area {smallest}");
        // A 3:2 photo fits at most a 4:3 box of 8/9 of its area.
        assert!(largest > 0.85, "{name}: largest area {largest}");
        if height == width {
            // Square images accept tall and wide boxes alike.
            let mean_log_ratio = log_ratio_sum / draws as f64;
            assert!(
                mean_log_ratio.abs() < 0.03,
                "{name}: mean log ratio {mean_log_ratio}"
            );
        }
    }
}

#[test]
fn crop_box_falls_back_to_center() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    // No box of 90 % or more of a 16x200 strip has a ratio of at most 4/3.
    let crop = sample_crop_box(16, 200, [0.9, 1.0], RATIO, &mut rng);
    let expected = CropBox {
        top: 0,
        left: 89,
        height: 16,
        width: 21,
    };
    assert_eq!(crop, expected);
    let tall = sample_crop_box(200, 16, [0.9, 1.0], RATIO, &mut rng);
    let expected_tall = CropBox {
        top: 89,
        left: 0,
        height: 21,
        width: 16,
    };
    assert_eq!(tall, expected_tall);
}

#[test]
fn jitter_factors_within_bounds() {
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for strength in [0.5, 1.0, 1.5] {
        let [low, high] = jitter_factor_range(strength);
        let hue_bound = 0.2 * strength as f32;
        let draws = 8000;
        let mut first_counts = [0usize; 4];
        let mut brightness_sum = 0.0f64;
        for _ in 0..draws {
            let params = sample_jitter(strength, &mut rng);
            for (name, factor) in [
                ("brightness", params.brightness_factor),
                ("contrast", params.contrast_factor),
                ("saturation", params.saturation_factor),
            ] {
                let factor = f64::from(factor);
                assert!(factor >= low - 1e-6, "s={strength} {name} {factor} < {low}");
                assert!(
                    factor <= high + 1e-6,
                    "s={strength} {name} {factor} > {high}"
                );
            }
            assert!(
                params.hue_offset.abs() <= hue_bound + 1e-6,
                "hue {}",
                params.hue_offset
            );
            for op in [
                JitterOp::Brightness,
                JitterOp::Contrast,
                JitterOp::Saturation,
                JitterOp::Hue,
            ] {
                assert_eq!(
                    params.order.iter().filter(|&&o| o == op).count(),
                    1,
                    "{:?}",
                    params.order
                );
            }
            first_counts[params.order[0] as usize] += 1;
            brightness_sum += f64::from(params.brightness_factor);
        }
        for (op, count) in first_counts.iter().enumerate() {
            assert_rate(&format!("s={strength} op {op} first"), *count, draws, 0.25);
        }
        let mean = brightness_sum / draws as f64;
        let expected = (low + high) / 2.0;
        assert!(
            (mean - expected).abs() < 0.02,
            "s={strength}: mean brightness {mean}, expected {expected}"
        );
    }
}

fn default_pipeline(output_size: usize) -> ViewPipeline {
    let settings = SimclrAugment {
        output_size: Some(output_size),
        ..SimclrAugment::default()
    };
    settings
        .pipeline(output_size)
        .expect("default settings are valid")
}

#[test]
fn default_rates_on_cifar() {
    let images = common::cifar_pngs();
    assert_eq!(images.len(), 20);
    let pipeline = default_pipeline(32);
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let (mut flips, mut jitters, mut grays) = (0, 0, 0);
    let draws = 6000;
    for i in 0..draws {
        let (view, record) = pipeline.apply_recorded(&images[i % images.len()], &mut rng);
        assert_eq!((view.height, view.width), (32, 32));
        assert!(record.crop.is_some(), "every view is cropped");
        assert_eq!(record.blur_sigma_pixels, None, "no blur below 96 pixels");
        flips += usize::from(record.flipped);
        jitters += usize::from(record.jitter.is_some());
        grays += usize::from(record.grayscale);
        if record.grayscale {
            let plane = 32 * 32;
            assert_eq!(
                view.data[..plane],
                view.data[plane..2 * plane],
                "gray view has equal channels"
            );
        }
    }
    assert_rate("flip", flips, draws, 0.5);
    assert_rate("jitter", jitters, draws, 0.8);
    assert_rate("grayscale", grays, draws, 0.2);
}

#[test]
fn blur_rate_and_sigma_at_224() {
    let pipeline = default_pipeline(224);
    let photo = common::photo("coffee.png");
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let (mut blurs, draws) = (0, 600);
    for _ in 0..draws {
        let (_, record) = pipeline.apply_recorded(&photo, &mut rng);
        if let Some(sigma) = record.blur_sigma_pixels {
            assert!((0.1..=2.0).contains(&sigma), "sigma {sigma}");
            blurs += 1;
        }
    }
    assert_rate("blur", blurs, draws, 0.5);
}

#[test]
fn flip_mirrors_the_same_crop() {
    let photo = common::photo("astronaut.png");
    let build = |flip_probability| {
        let settings = SimclrAugment {
            output_size: Some(64),
            flip_probability,
            steps: Some(vec![StepKind::Crop]),
            ..SimclrAugment::default()
        };
        settings.pipeline(512).expect("valid settings")
    };
    for seed in 0..5 {
        let (plain, plain_record) =
            build(0.0).apply_recorded(&photo, &mut ChaCha8Rng::seed_from_u64(seed));
        let (mut flipped, flipped_record) =
            build(1.0).apply_recorded(&photo, &mut ChaCha8Rng::seed_from_u64(seed));
        assert_eq!(plain_record.crop, flipped_record.crop, "seed {seed}: crop");
        assert!(
            !plain_record.flipped && flipped_record.flipped,
            "seed {seed}: flip flags"
        );
        horizontal_flip(&mut flipped);
        assert_eq!(
            plain, flipped,
            "seed {seed}: flipping back restores the view"
        );
    }
}

#[test]
fn two_views_are_deterministic() {
    let photo = common::photo("chelsea.png");
    let pipeline = default_pipeline(96);
    let (a, b) = pipeline.two_views(&photo, 7, 3, 11);
    let (a_again, b_again) = pipeline.two_views(&photo, 7, 3, 11);
    assert_eq!(a, a_again, "first view repeats");
    assert_eq!(b, b_again, "second view repeats");
    assert_ne!(a, b, "the two views differ");
    let (next_epoch, _) = pipeline.two_views(&photo, 7, 4, 11);
    assert_ne!(a, next_epoch, "another epoch gives another view");
    let (next_index, _) = pipeline.two_views(&photo, 7, 3, 12);
    assert_ne!(a, next_index, "another index gives another view");
    let (next_seed, _) = pipeline.two_views(&photo, 8, 3, 11);
    assert_ne!(a, next_seed, "another seed gives another view");
}

#[test]
fn view_rng_streams_differ() {
    use rand::Rng;
    let mut firsts = std::collections::HashSet::new();
    for seed in 0..4u64 {
        for epoch in 0..8u64 {
            for index in 0..64u64 {
                let value: u64 = simclr::augment::view_rng(seed, epoch, index).random();
                assert!(
                    firsts.insert(value),
                    "({seed}, {epoch}, {index}) repeats a stream"
                );
            }
        }
    }
}
