//! A contact sheet of augmented views for checking a pipeline by eye.

use super::pipeline::ViewPipeline;
use super::resample::{resized_crop_rgb8, CropBox};
use super::view_rng;
use crate::data::Image;

/// Gap between tiles and around the sheet, in pixels.
pub const GRID_GAP_PIXELS: usize = 4;

/// Gray level of the gaps.
const GAP_GRAY: u8 = 255;

/// Renders one row per source image: the image itself (its centered square,
/// resized to the view side) followed by `views_per_row` views.
///
/// Views of row `r` come from `view_rng(seed, 0, r)`. They are drawn by the
/// pipeline without its normalization step, so they show values in
/// `[0, 1]`. The sheet is white where no tile is.
pub fn render_grid(
    images: &[Image],
    pipeline: &ViewPipeline,
    views_per_row: usize,
    seed: u64,
) -> Image {
    let side = pipeline.output_size();
    let display = pipeline.without_normalize();
    let columns = views_per_row + 1;
    let width = GRID_GAP_PIXELS + columns * (side + GRID_GAP_PIXELS);
    let height = GRID_GAP_PIXELS + images.len() * (side + GRID_GAP_PIXELS);
    let mut sheet = Image {
        width,
        height,
        rgb: vec![GAP_GRAY; width * height * 3],
    };
    for (row, image) in images.iter().enumerate() {
        let top = GRID_GAP_PIXELS + row * (side + GRID_GAP_PIXELS);
        let square = center_square(image);
        let original = resized_crop_rgb8(image, square, side, side, true).to_image();
        paste(&mut sheet, &original, top, GRID_GAP_PIXELS);
        let mut rng = view_rng(seed, 0, row as u64);
        for column in 1..columns {
            let view = display.apply(image, &mut rng).to_image();
            let left = GRID_GAP_PIXELS + column * (side + GRID_GAP_PIXELS);
            paste(&mut sheet, &view, top, left);
        }
    }
    sheet
}

fn center_square(image: &Image) -> CropBox {
    let side = image.height.min(image.width);
    CropBox {
        top: (image.height - side) / 2,
        left: (image.width - side) / 2,
        height: side,
        width: side,
    }
}

/// Copies `tile` into `sheet` with its top left corner at `(top, left)`,
/// clipped to the sheet.
fn paste(sheet: &mut Image, tile: &Image, top: usize, left: usize) {
    let rows = tile.height.min(sheet.height.saturating_sub(top));
    let columns = tile.width.min(sheet.width.saturating_sub(left));
    for y in 0..rows {
        let source = &tile.rgb[y * tile.width * 3..][..columns * 3];
        let start = ((top + y) * sheet.width + left) * 3;
        sheet.rgb[start..start + columns * 3].copy_from_slice(source);
    }
}
