//! Every deterministic op against torchvision 0.29 values in
//! `tests/golden/image_ops.json`.

use simclr::augment::{
    adjust_brightness, adjust_contrast, adjust_hue, adjust_saturation, gaussian_blur,
    horizontal_flip, resized_crop, resized_crop_rgb8, rgb_to_grayscale, solarize, CropBox,
    FloatImage,
};
use simclr::data::Image;
use std::collections::BTreeMap;

type Chw = Vec<Vec<Vec<f32>>>;

#[derive(serde::Deserialize)]
struct Golden {
    tolerance: BTreeMap<String, f32>,
    input: Chw,
    outputs: BTreeMap<String, Chw>,
}

fn load() -> Golden {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/image_ops.json");
    let text = std::fs::read_to_string(path).expect("tests/golden/image_ops.json is readable");
    serde_json::from_str(&text).expect("image_ops.json parses")
}

fn to_float_image(chw: &Chw) -> FloatImage {
    let height = chw[0].len();
    let width = chw[0][0].len();
    let data = chw.iter().flatten().flatten().copied().collect();
    FloatImage {
        height,
        width,
        data,
    }
}

/// Asserts that `actual` matches the golden output `name` within
/// `tolerance`, naming the worst value on failure.
fn assert_close(name: &str, actual: &FloatImage, golden: &Golden, tolerance: f32) {
    let expected = to_float_image(&golden.outputs[name]);
    assert_eq!(
        (actual.height, actual.width),
        (expected.height, expected.width),
        "{name}: shape"
    );
    let (mut worst_index, mut worst) = (0, 0.0f32);
    for (i, (a, e)) in actual.data.iter().zip(&expected.data).enumerate() {
        let difference = (a - e).abs();
        if difference > worst || difference.is_nan() {
            worst_index = i;
            worst = if difference.is_nan() {
                f32::INFINITY
            } else {
                difference
            };
        }
    }
    let plane = actual.height * actual.width;
    let (channel, y, x) = (
        worst_index / plane,
        (worst_index % plane) / actual.width,
        worst_index % actual.width,
    );
    assert!(
        worst <= tolerance,
        "{name}: worst difference {worst:e} > {tolerance:e} at [c={channel}, y={y}, x={x}]: \
         got {}, expected {}",
        actual.data[worst_index],
        expected.data[worst_index]
    );
}

fn check_pointwise(prefix: &str, op: fn(&mut FloatImage, f32), tolerance_key: &str) {
    let golden = load();
    let tolerance = golden.tolerance[tolerance_key];
    let names: Vec<&String> = golden
        .outputs
        .keys()
        .filter(|k| k.starts_with(prefix))
        .collect();
    assert!(!names.is_empty(), "no golden outputs named {prefix}*");
    for name in names {
        let factor: f32 = name[prefix.len()..].parse().expect("factor in the name");
        let mut image = to_float_image(&golden.input);
        op(&mut image, factor);
        assert_close(name, &image, &golden, tolerance);
    }
}

#[test]
fn brightness_matches_torchvision() {
    check_pointwise("brightness_", adjust_brightness, "abs");
}

#[test]
fn contrast_matches_torchvision() {
    check_pointwise("contrast_", adjust_contrast, "abs");
}

#[test]
fn saturation_matches_torchvision() {
    check_pointwise("saturation_", adjust_saturation, "abs");
}

#[test]
fn hue_matches_torchvision() {
    check_pointwise("hue_", adjust_hue, "hue_abs");
}

#[test]
fn solarize_matches_torchvision() {
    check_pointwise("solarize_", solarize, "abs");
}

#[test]
fn grayscale_matches_torchvision() {
    let golden = load();
    let mut image = to_float_image(&golden.input);
    rgb_to_grayscale(&mut image);
    assert_close("grayscale", &image, &golden, golden.tolerance["abs"]);
}

#[test]
fn horizontal_flip_matches_torchvision() {
    let golden = load();
    let mut image = to_float_image(&golden.input);
    horizontal_flip(&mut image);
    assert_close("hflip", &image, &golden, golden.tolerance["abs"]);
}

#[test]
fn gaussian_blur_matches_torchvision() {
    let golden = load();
    let cases = [(3, 0.5), (5, 1.0), (7, 2.0)];
    for (kernel_size, sigma) in cases {
        let name = format!("gaussian_blur_k{kernel_size}_s{sigma:.1}");
        let mut image = to_float_image(&golden.input);
        gaussian_blur(&mut image, kernel_size, sigma);
        assert_close(&name, &image, &golden, golden.tolerance["abs"]);
    }
}

const GOLDEN_BOX: CropBox = CropBox {
    top: 2,
    left: 3,
    height: 9,
    width: 11,
};

#[test]
fn resized_crop_matches_torchvision() {
    let golden = load();
    let image = to_float_image(&golden.input);
    for (name, antialias) in [
        ("resized_crop_bilinear_noaa", false),
        ("resized_crop_bilinear_aa", true),
    ] {
        let output = resized_crop(&image, GOLDEN_BOX, 8, 8, antialias);
        assert_close(name, &output, &golden, golden.tolerance["resize_abs"]);
    }
}

/// The 8-bit path must agree with the float path, because the pipeline
/// crops straight from decoded images.
#[test]
fn resized_crop_rgb8_matches_float_path() {
    let golden = load();
    let float_input = to_float_image(&golden.input);
    let bytes = float_input.to_image();
    let reference = FloatImage::from_image(&bytes);
    let cases = [
        (GOLDEN_BOX, 8, 8),
        (GOLDEN_BOX, 20, 17),
        (CropBox::full(12, 16), 5, 7),
    ];
    for (crop, out_height, out_width) in cases {
        for antialias in [false, true] {
            let from_bytes = resized_crop_rgb8(&bytes, crop, out_height, out_width, antialias);
            let from_floats = resized_crop(&reference, crop, out_height, out_width, antialias);
            let worst = from_bytes
                .data
                .iter()
                .zip(&from_floats.data)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(
                worst < 1e-5,
                "{crop:?} to {out_height}x{out_width}, antialias {antialias}: {worst:e}"
            );
        }
    }
}

/// The golden input is a crop of a real photo, so decoding the photo must
/// reproduce it to 8-bit precision.
#[test]
fn golden_input_is_chelsea_patch() {
    let golden = load();
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/photos/chelsea.png"
    );
    let photo = image::open(path).expect("chelsea.png decodes").to_rgb8();
    let (width, height) = photo.dimensions();
    let photo = Image::new(width as usize, height as usize, photo.into_raw()).expect("RGB size");
    let crop = CropBox {
        top: 100,
        left: 200,
        height: 12,
        width: 16,
    };
    let patch = resized_crop_rgb8(&photo, crop, 12, 16, false);
    let expected = to_float_image(&golden.input);
    let worst = patch
        .data
        .iter()
        .zip(&expected.data)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(
        worst < 1e-6,
        "patch differs from the golden input by {worst:e}"
    );
}
