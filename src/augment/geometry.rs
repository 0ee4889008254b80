//! Flips and quarter-turn rotations.

use super::FloatImage;

/// Mirrors every row left to right, in place.
pub fn horizontal_flip(image: &mut FloatImage) {
    let width = image.width;
    if width == 0 {
        return;
    }
    for row in image.data.chunks_exact_mut(width) {
        row.reverse();
    }
}

/// Rotates counterclockwise by `quarter_turns * 90` degrees, like
/// `torch.rot90(image, quarter_turns, dims=(-2, -1))`.
///
/// Height and width swap for odd turns.
pub fn rotate_quarter_turns(image: &FloatImage, quarter_turns: u32) -> FloatImage {
    let (height, width) = (image.height, image.width);
    let turns = quarter_turns % 4;
    if turns == 0 {
        return image.clone();
    }
    let (out_height, out_width) = if turns % 2 == 1 {
        (width, height)
    } else {
        (height, width)
    };
    let mut output = FloatImage::zeros(out_height, out_width);
    let sources = image.planes();
    for (plane, source) in output.planes_mut().into_iter().zip(sources) {
        for y in 0..out_height {
            for x in 0..out_width {
                // Source pixel that lands on output (y, x).
                let (source_y, source_x) = match turns {
                    1 => (x, width - 1 - y),
                    2 => (height - 1 - y, width - 1 - x),
                    _ => (height - 1 - x, y),
                };
                plane[y * out_width + x] = source[source_y * width + source_x];
            }
        }
    }
    output
}
