//! The one in-memory image type that every dataset reader produces.

/// An 8-bit RGB image, row-major with interleaved channels.
///
/// # Shapes
/// `rgb` has `height * width * 3` bytes in `[height, width, 3]` order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    pub width: usize,
    pub height: usize,
    pub rgb: Vec<u8>,
}

impl Image {
    /// Wraps RGB bytes, checking that their length fits the dimensions.
    pub fn new(width: usize, height: usize, rgb: Vec<u8>) -> Option<Self> {
        (rgb.len() == width * height * 3).then_some(Image { width, height, rgb })
    }

    /// Copies one gray channel into all three RGB channels.
    pub fn from_gray(width: usize, height: usize, gray: &[u8]) -> Option<Self> {
        if gray.len() != width * height {
            return None;
        }
        let rgb = gray.iter().flat_map(|&v| [v, v, v]).collect();
        Some(Image { width, height, rgb })
    }

    /// Builds an image from planar bytes: all red, then all green, then all
    /// blue, each plane row-major, as CIFAR stores them.
    pub fn from_planar(width: usize, height: usize, planes: &[u8]) -> Option<Self> {
        let plane = width * height;
        if planes.len() != plane * 3 {
            return None;
        }
        let mut rgb = Vec::with_capacity(plane * 3);
        for i in 0..plane {
            rgb.extend_from_slice(&[planes[i], planes[plane + i], planes[2 * plane + i]]);
        }
        Some(Image { width, height, rgb })
    }

    /// Returns the RGB value at column `x`, row `y`.
    pub fn pixel(&self, x: usize, y: usize) -> [u8; 3] {
        let i = (y * self.width + x) * 3;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }
}
