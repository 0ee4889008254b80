//! The planar float image that every augmentation op reads and writes.

use crate::data::Image;

/// A float RGB image with one contiguous plane per channel.
///
/// # Shapes
/// `data` has `3 * height * width` values in `[3, height, width]` (CHW)
/// order. Values are in `[0, 1]` until a normalization step runs.
#[derive(Clone, Debug, PartialEq)]
pub struct FloatImage {
    pub height: usize,
    pub width: usize,
    pub data: Vec<f32>,
}

impl FloatImage {
    /// Allocates a black image of the given size.
    pub fn zeros(height: usize, width: usize) -> Self {
        FloatImage {
            height,
            width,
            data: vec![0.0; 3 * height * width],
        }
    }

    /// Converts an 8-bit image to planar floats in `[0, 1]` (value / 255).
    pub fn from_image(image: &Image) -> Self {
        let plane = image.width * image.height;
        let mut data = vec![0.0f32; 3 * plane];
        let (red, rest) = data.split_at_mut(plane);
        let (green, blue) = rest.split_at_mut(plane);
        for (i, pixel) in image.rgb.chunks_exact(3).enumerate() {
            red[i] = f32::from(pixel[0]) / 255.0;
            green[i] = f32::from(pixel[1]) / 255.0;
            blue[i] = f32::from(pixel[2]) / 255.0;
        }
        FloatImage {
            height: image.height,
            width: image.width,
            data,
        }
    }

    /// Converts back to an 8-bit image, clamping to `[0, 1]` and rounding
    /// `value * 255` to the nearest integer.
    pub fn to_image(&self) -> Image {
        let plane = self.plane_len();
        let mut rgb = Vec::with_capacity(3 * plane);
        for i in 0..plane {
            for channel in 0..3 {
                let value = self.data[channel * plane + i].clamp(0.0, 1.0);
                rgb.push((value * 255.0).round() as u8);
            }
        }
        Image {
            width: self.width,
            height: self.height,
            rgb,
        }
    }

    /// Number of values in one channel plane (`height * width`).
    pub fn plane_len(&self) -> usize {
        self.height * self.width
    }

    /// The three channel planes, each `[height, width]` row-major.
    pub fn planes(&self) -> [&[f32]; 3] {
        let plane = self.plane_len();
        let (red, rest) = self.data.split_at(plane);
        let (green, blue) = rest.split_at(plane);
        [red, green, blue]
    }

    /// The three channel planes, mutable.
    pub fn planes_mut(&mut self) -> [&mut [f32]; 3] {
        let plane = self.plane_len();
        let (red, rest) = self.data.split_at_mut(plane);
        let (green, blue) = rest.split_at_mut(plane);
        [red, green, blue]
    }
}
