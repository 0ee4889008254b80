//! Helpers shared by the integration tests: fixture images, golden JSON
//! files and tensor comparisons.

#![allow(dead_code)]

use burn::tensor::{Device, Tensor, TensorData};
use serde_json::Value;
use simclr::data::Image;
use std::path::PathBuf;

pub fn fixture(relative: &str) -> String {
    format!("{}/tests/fixtures/{relative}", env!("CARGO_MANIFEST_DIR"))
}

/// Decodes a fixture image file to RGB.
pub fn load_image(relative: &str) -> Image {
    let path = fixture(relative);
    let decoded = image::open(&path)
        .unwrap_or_else(|e| panic!("{path} does not decode: {e}"))
        .to_rgb8();
    let (width, height) = decoded.dimensions();
    Image::new(width as usize, height as usize, decoded.into_raw()).expect("RGB buffer size")
}

pub fn photo(name: &str) -> Image {
    load_image(&format!("photos/{name}"))
}

pub const PHOTOS: [&str; 4] = ["chelsea.png", "coffee.png", "astronaut.png", "rocket.jpg"];

/// The 32x32 CIFAR-10 sample PNGs, in file name order.
pub fn cifar_pngs() -> Vec<Image> {
    let directory = fixture("cifar10-sample");
    let mut names: Vec<String> = std::fs::read_dir(&directory)
        .expect("cifar10-sample folder is readable")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".png"))
        .collect();
    names.sort();
    names
        .iter()
        .map(|name| load_image(&format!("cifar10-sample/{name}")))
        .collect()
}

/// Path of a file under `tests/golden`.
pub fn golden_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

/// Parses a JSON file under `tests/golden`.
pub fn load_golden(name: &str) -> Value {
    let path = golden_path(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("invalid JSON in {name}: {e}"))
}

/// Flattens a nested JSON array of numbers into its values and shape.
pub fn flatten(value: &Value) -> (Vec<f64>, Vec<usize>) {
    let mut shape = Vec::new();
    let mut level = value;
    while let Value::Array(items) = level {
        shape.push(items.len());
        match items.first() {
            Some(first) => level = first,
            None => break,
        }
    }
    let mut values = Vec::new();
    collect_numbers(value, &mut values);
    (values, shape)
}

fn collect_numbers(value: &Value, out: &mut Vec<f64>) {
    match value {
        Value::Array(items) => items.iter().for_each(|item| collect_numbers(item, out)),
        Value::Number(number) => out.push(number.as_f64().expect("finite number")),
        other => panic!("expected a number, found {other}"),
    }
}

/// Builds a float32 tensor from a nested JSON array.
pub fn tensor_from_json<const D: usize>(value: &Value, device: &Device) -> Tensor<D> {
    let (values, shape) = flatten(value);
    assert_eq!(shape.len(), D, "JSON array rank");
    let values: Vec<f32> = values.iter().map(|&v| v as f32).collect();
    Tensor::from_data(TensorData::new(values, shape), device)
}

/// Reads a tensor's values as f64.
pub fn values_of<const D: usize>(tensor: Tensor<D>) -> Vec<f64> {
    let data = tensor.into_data();
    let values = data.try_to_vec::<f32>().expect("float32 tensor");
    values.into_iter().map(f64::from).collect()
}

/// Asserts `|actual - expected| <= abs + rel * |expected|` element-wise and
/// reports the worst element and the number of elements out of tolerance.
pub fn assert_all_close(actual: &[f64], expected: &[f64], abs: f64, rel: f64, what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}: number of values");
    let mut worst = (0, f64::NEG_INFINITY);
    let mut num_outside = 0;
    for (index, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!(a.is_finite(), "{what}[{index}] is {a}");
        let excess = (a - e).abs() - (abs + rel * e.abs());
        if excess > 0.0 {
            num_outside += 1;
        }
        if excess > worst.1 {
            worst = (index, excess);
        }
    }
    let (index, _) = worst;
    assert_eq!(
        num_outside,
        0,
        "{what}: {num_outside} of {} values out of tolerance (abs {abs}, rel {rel}); \
         worst [{index}]: got {}, expected {}",
        actual.len(),
        actual[index],
        expected[index]
    );
}
