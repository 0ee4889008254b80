//! Hue rotation through HSV, following torchvision 0.29
//! `transforms.v2.functional.adjust_hue` on float images.

use super::color::for_each_pixel;
use super::FloatImage;

/// Shifts the hue of every pixel by `hue_offset` turns (`[-0.5, 0.5]`).
///
/// The image is converted to HSV with hue in `[0, 1)`, the offset is added
/// modulo 1, and the result is converted back to RGB with each of the
/// intermediate values clamped to `[0, 1]`, as torchvision does.
pub fn adjust_hue(image: &mut FloatImage, hue_offset: f32) {
    for_each_pixel(image, |rgb| {
        let (hue, saturation, value) = rgb_to_hsv(rgb);
        let shifted = (hue + hue_offset).rem_euclid(1.0);
        hsv_to_rgb(shifted, saturation, value)
    });
}

/// Converts one RGB pixel to `(hue, saturation, value)`, all in `[0, 1]`.
fn rgb_to_hsv([r, g, b]: [f32; 3]) -> (f32, f32, f32) {
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let range = max - min;
    if range == 0.0 {
        // Gray pixel: torchvision gives hue 0 and saturation 0 here.
        return (0.0, 0.0, max);
    }
    let saturation = range / max;
    let rc = (max - r) / range;
    let gc = (max - g) / range;
    let bc = (max - b) / range;
    // The first channel that equals the maximum picks the sector, red first.
    let sector_hue = if max == r {
        bc - gc
    } else if max == g {
        2.0 + rc - bc
    } else {
        4.0 + gc - rc
    };
    let hue = (sector_hue / 6.0 + 1.0) % 1.0;
    (hue, saturation, max)
}

/// Converts `(hue, saturation, value)` back to RGB.
fn hsv_to_rgb(hue: f32, saturation: f32, value: f32) -> [f32; 3] {
    let hue6 = hue * 6.0;
    let sector = hue6.floor();
    let fraction = hue6 - sector;
    let chroma = saturation * value;
    let p = (value - chroma).clamp(0.0, 1.0);
    let q = (value - chroma * fraction).clamp(0.0, 1.0);
    let t = (chroma * fraction + p).clamp(0.0, 1.0);
    match (sector as i32).rem_euclid(6) {
        0 => [value, t, p],
        1 => [q, value, p],
        2 => [p, value, t],
        3 => [p, q, value],
        4 => [t, p, value],
        _ => [value, p, q],
    }
}
