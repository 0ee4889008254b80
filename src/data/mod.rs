//! Dataset readers and the two-view batch loader.

pub mod image;

pub use image::Image;
