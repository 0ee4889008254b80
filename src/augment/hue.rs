//! Hue rotation through HSV, following torchvision 0.29
//! `transforms.v2.functional.adjust_hue` on float images.
//!
//! The per-pixel code picks values with selects in place of data-dependent
//! branches, because hue sectors vary from pixel to pixel and branches on
//! them mispredict.

use super::FloatImage;

/// Shifts the hue of every pixel by `hue_offset` turns (`[-0.5, 0.5]`).
///
/// The image is converted to HSV with hue in `[0, 1)`, the offset is added
/// modulo 1, and the result is converted back to RGB with each of the
/// intermediate values clamped to `[0, 1]`, as torchvision does.
pub fn adjust_hue(image: &mut FloatImage, hue_offset: f32) {
    let [red, green, blue] = image.planes_mut();
    let len = red.len().min(green.len()).min(blue.len());
    for i in 0..len {
        let (hue, saturation, value) = rgb_to_hsv(red[i], green[i], blue[i]);
        let shifted = wrap_unit(hue + hue_offset);
        let [r, g, b] = hsv_to_rgb(shifted, saturation, value);
        red[i] = r;
        green[i] = g;
        blue[i] = b;
    }
}

/// Maps `x` in `[-1, 2)` into `[0, 1)` by adding or subtracting 1, which is
/// what a modulo-1 remainder does on that interval.
#[inline(always)]
fn wrap_unit(x: f32) -> f32 {
    let raised = if x < 0.0 { x + 1.0 } else { x };
    if raised >= 1.0 {
        raised - 1.0
    } else {
        raised
    }
}

/// Converts one RGB pixel to `(hue, saturation, value)`, all in `[0, 1]`.
/// A gray pixel gets hue 0 and saturation 0, as in torchvision.
#[inline(always)]
fn rgb_to_hsv(r: f32, g: f32, b: f32) -> (f32, f32, f32) {
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let range = max - min;
    let gray = range == 0.0;
    let saturation = range / if gray { 1.0 } else { max };
    let divisor = if gray { 1.0 } else { range };
    let rc = (max - r) / divisor;
    let gc = (max - g) / divisor;
    let bc = (max - b) / divisor;
    // The first channel that equals the maximum picks the sector, red first.
    let from_green = 2.0 + rc - bc;
    let from_blue = 4.0 + gc - rc;
    let not_red = if max == g { from_green } else { from_blue };
    let sector_hue = if max == r { bc - gc } else { not_red };
    (wrap_unit(sector_hue / 6.0 + 1.0), saturation, max)
}

/// Converts `(hue, saturation, value)` back to RGB.
#[inline(always)]
fn hsv_to_rgb(hue: f32, saturation: f32, value: f32) -> [f32; 3] {
    let hue6 = hue * 6.0;
    // `hue6` is non-negative, so truncation is the floor.
    let sector = hue6 as i32;
    let fraction = hue6 - sector as f32;
    let sector = if sector >= 6 { sector - 6 } else { sector };
    let chroma = saturation * value;
    let p = (value - chroma).clamp(0.0, 1.0);
    let q = (value - chroma * fraction).clamp(0.0, 1.0);
    let t = (chroma * fraction + p).clamp(0.0, 1.0);
    // Sectors 0..6 give (R, G, B) = (v,t,p) (q,v,p) (p,v,t) (p,q,v) (t,p,v)
    // (v,p,q).
    let r = select4(sector, [(0, value), (5, value), (1, q), (4, t)], p);
    let g = select4(sector, [(0, t), (3, q), (4, p), (5, p)], value);
    let b = select4(sector, [(2, t), (3, value), (4, value), (5, q)], p);
    [r, g, b]
}

/// The value paired with `key` in `cases`, or `otherwise`.
#[inline(always)]
fn select4(key: i32, cases: [(i32, f32); 4], otherwise: f32) -> f32 {
    let mut result = otherwise;
    for (case, value) in cases {
        result = if key == case { value } else { result };
    }
    result
}
