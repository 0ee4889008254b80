//! The ablation ops, image conversion and the view grid, on real images.

mod common;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use simclr::augment::{
    cutout, gaussian_noise, normalize, render_grid, rotate_quarter_turns, sobel, CutoutFill,
    FloatImage, SimclrAugment,
};

fn cifar_float(index: usize) -> FloatImage {
    FloatImage::from_image(&common::cifar_pngs()[index])
}

#[test]
fn image_round_trip_is_exact() {
    for image in common::cifar_pngs() {
        assert_eq!(FloatImage::from_image(&image).to_image(), image);
    }
}

#[test]
fn rotation_composes_to_identity() {
    let image = FloatImage::from_image(&common::photo("chelsea.png"));
    let quarter = rotate_quarter_turns(&image, 1);
    assert_eq!((quarter.height, quarter.width), (image.width, image.height));
    assert_ne!(quarter.data, image.data);
    let full = rotate_quarter_turns(&rotate_quarter_turns(&quarter, 2), 1);
    assert_eq!(full, image, "1 + 2 + 1 quarter turns");
    // The top right pixel of the source becomes the top left after a
    // counterclockwise quarter turn.
    assert_eq!(quarter.data[0], image.data[image.width - 1]);
}

#[test]
fn sobel_spans_unit_range() {
    let mut image = cifar_float(3);
    sobel(&mut image);
    let plane = image.height * image.width;
    let largest = image.data.iter().copied().fold(0.0f32, f32::max);
    assert_eq!(largest, 1.0, "scaled by the largest magnitude");
    assert!(image.data.iter().all(|v| (0.0..=1.0).contains(v)));
    assert_eq!(
        image.data[..plane],
        image.data[plane..2 * plane],
        "channels equal"
    );
    let mut flat = FloatImage {
        height: 8,
        width: 8,
        data: vec![0.5; 192],
    };
    sobel(&mut flat);
    assert!(
        flat.data.iter().all(|&v| v == 0.0),
        "a flat image has no edges"
    );
}

#[test]
fn cutout_fills_only_the_square() {
    let original = cifar_float(5);
    for fill in [CutoutFill::Zero, CutoutFill::Mean] {
        let mut image = original.clone();
        cutout(&mut image, 4, 6, 10, fill);
        for channel in 0..3 {
            let plane = &original.data[channel * 1024..(channel + 1) * 1024];
            let expected = match fill {
                CutoutFill::Zero => 0.0,
                CutoutFill::Mean => {
                    (plane.iter().map(|&v| f64::from(v)).sum::<f64>() / 1024.0) as f32
                }
            };
            for y in 0..32 {
                for x in 0..32 {
                    let i = channel * 1024 + y * 32 + x;
                    let inside = (4..14).contains(&y) && (6..16).contains(&x);
                    if inside {
                        assert!(
                            (image.data[i] - expected).abs() < 1e-6,
                            "{fill:?} at {y},{x}"
                        );
                    } else {
                        assert_eq!(
                            image.data[i], original.data[i],
                            "{fill:?} outside at {y},{x}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn noise_has_requested_std() {
    let mut image = FloatImage {
        height: 64,
        width: 64,
        data: vec![0.5; 3 * 64 * 64],
    };
    gaussian_noise(&mut image, 0.05, &mut ChaCha8Rng::seed_from_u64(12));
    let n = image.data.len() as f64;
    let mean = image.data.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let variance = image
        .data
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / n;
    assert!((mean - 0.5).abs() < 0.002, "mean {mean}");
    assert!(
        (variance.sqrt() - 0.05).abs() < 0.002,
        "std {}",
        variance.sqrt()
    );
}

#[test]
fn normalize_per_channel() {
    let mut image = FloatImage {
        height: 1,
        width: 2,
        data: vec![0.5, 1.0, 0.2, 0.4, 0.0, 0.9],
    };
    normalize(&mut image, [0.5, 0.2, 0.1], [0.5, 0.1, 0.2]);
    let expected = [0.0, 1.0, 0.0, 2.0, -0.5, 4.0];
    for (got, want) in image.data.iter().zip(expected) {
        assert!((got - want).abs() < 1e-6, "{got} vs {want}");
    }
}

#[test]
fn grid_layout_and_views() {
    let images = vec![common::photo("astronaut.png"), common::photo("coffee.png")];
    let settings = SimclrAugment {
        output_size: Some(48),
        normalize: true,
        ..SimclrAugment::default()
    };
    let pipeline = settings.pipeline(512).expect("valid");
    let gap = simclr::augment::grid::GRID_GAP_PIXELS;
    let sheet = render_grid(&images, &pipeline, 3, 5);
    assert_eq!(sheet.width, gap + 4 * (48 + gap));
    assert_eq!(sheet.height, gap + 2 * (48 + gap));
    assert_eq!(sheet.pixel(0, 0), [255, 255, 255], "gap is white");
    // The second tile of row 0 is the first view from view_rng(seed, 0, 0),
    // drawn without normalization.
    let view = pipeline
        .without_normalize()
        .apply(&images[0], &mut simclr::augment::view_rng(5, 0, 0))
        .to_image();
    let left = gap + 48 + gap;
    for y in 0..48 {
        for x in 0..48 {
            assert_eq!(
                sheet.pixel(left + x, gap + y),
                view.pixel(x, y),
                "pixel {x},{y}"
            );
        }
    }
    let again = render_grid(&images, &pipeline, 3, 5);
    assert_eq!(again, sheet, "same seed, same sheet");
}
