//! Loaders for the real images under `tests/fixtures`.

#![allow(dead_code)]

use simclr::data::Image;

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
