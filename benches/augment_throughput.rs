//! Single-thread throughput of the default SimCLR view pipeline.
//!
//! Run with `cargo bench --bench augment_throughput`. Prints one line per
//! setting, `setting=<name> views=<n> seconds=<s> views_per_s=<rate>`,
//! which `bench/augment.sh` reads. `AUGMENT_BENCH_SECONDS` sets the time
//! per setting (default 3).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use simclr::augment::{SimclrAugment, ViewPipeline};
use simclr::data::Image;
use std::hint::black_box;
use std::time::{Duration, Instant};

const CIFAR_RECORD_BYTES: usize = 1 + 3 * 1024;
const PHOTOS: [&str; 4] = ["chelsea.png", "coffee.png", "astronaut.png", "rocket.jpg"];

fn fixture(relative: &str) -> String {
    format!("{}/tests/fixtures/{relative}", env!("CARGO_MANIFEST_DIR"))
}

/// Decodes CIFAR-10 binary records: a label byte, then the 32x32 red,
/// green and blue planes.
fn read_cifar_batch(path: &str) -> Result<Vec<Image>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    if bytes.is_empty() || bytes.len() % CIFAR_RECORD_BYTES != 0 {
        return Err(format!(
            "{path}: {} bytes is not a whole number of {CIFAR_RECORD_BYTES}-byte records",
            bytes.len()
        ));
    }
    bytes
        .chunks_exact(CIFAR_RECORD_BYTES)
        .map(|record| Image::from_planar(32, 32, &record[1..]).ok_or("record size".to_string()))
        .collect()
}

fn read_photo(name: &str) -> Result<Image, String> {
    let path = fixture(&format!("photos/{name}"));
    let decoded = image::open(&path)
        .map_err(|e| format!("{path}: {e}"))?
        .to_rgb8();
    let (width, height) = decoded.dimensions();
    Image::new(width as usize, height as usize, decoded.into_raw()).ok_or(path)
}

fn default_pipeline(output_size: usize) -> Result<ViewPipeline, String> {
    let settings = SimclrAugment {
        output_size: Some(output_size),
        ..SimclrAugment::default()
    };
    settings.pipeline(output_size).map_err(|e| e.to_string())
}

/// Draws views round-robin over `images` for about `budget`, after a
/// warm-up of one view per image, and returns (views, seconds).
fn measure(pipeline: &ViewPipeline, images: &[Image], budget: Duration) -> (usize, f64) {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    for image in images {
        black_box(pipeline.apply(image, &mut rng));
    }
    let start = Instant::now();
    let mut views = 0;
    while start.elapsed() < budget {
        for _ in 0..16 {
            let image = &images[views % images.len()];
            black_box(pipeline.apply(image, &mut rng));
            views += 1;
        }
    }
    (views, start.elapsed().as_secs_f64())
}

fn run() -> Result<(), String> {
    let seconds: f64 = match std::env::var("AUGMENT_BENCH_SECONDS") {
        Ok(text) => text
            .parse()
            .map_err(|_| format!("invalid AUGMENT_BENCH_SECONDS {text:?}: expected seconds"))?,
        Err(_) => 3.0,
    };
    let budget = Duration::from_secs_f64(seconds);
    let cifar = read_cifar_batch(&fixture("cifar10-sample/test_batch.bin"))?;
    let photos: Vec<Image> = PHOTOS
        .iter()
        .map(|name| read_photo(name))
        .collect::<Result<_, _>>()?;
    let settings = [("cifar32", 32, &cifar), ("photo224", 224, &photos)];
    for (name, output_size, images) in settings {
        let pipeline = default_pipeline(output_size)?;
        let (views, elapsed) = measure(&pipeline, images, budget);
        println!(
            "setting={name} views={views} seconds={elapsed:.3} views_per_s={:.1}",
            views as f64 / elapsed
        );
    }
    Ok(())
}

fn main() {
    if let Err(message) = run() {
        eprintln!("augment_throughput failed: {message}");
        std::process::exit(1);
    }
}
