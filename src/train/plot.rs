//! PNG plot of the pretraining loss and the kNN top-1 accuracy per epoch.

mod font;

use std::path::Path;

use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder, Rgb, RgbImage};

use crate::atomic_file::write_atomic;
use crate::{Error, Result};
use font::{draw_text, fill_rect, text_width, GLYPH_HEIGHT};

/// Width of the plot image in pixels.
pub const PLOT_WIDTH_PX: u32 = 640;
/// Height of the plot image in pixels: two panels of half this height.
pub const PLOT_HEIGHT_PX: u32 = 480;

/// Image pixels per font pixel.
const TEXT_SCALE: u32 = 2;
const MARGIN_LEFT_PX: i64 = 84;
const MARGIN_RIGHT_PX: i64 = 20;
const MARGIN_TOP_PX: i64 = 30;
const MARGIN_BOTTOM_PX: i64 = 44;
const TICK_LENGTH_PX: i64 = 5;

const WHITE: Rgb<u8> = Rgb([255, 255, 255]);
const BLACK: Rgb<u8> = Rgb([0, 0, 0]);
const GRID: Rgb<u8> = Rgb([225, 225, 225]);
const LOSS_COLOR: Rgb<u8> = Rgb([31, 119, 180]);
const KNN_COLOR: Rgb<u8> = Rgb([214, 39, 40]);

/// One epoch's values in the plot.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EpochPoint {
    pub epoch: usize,
    /// Mean pretraining loss of the epoch.
    pub loss: f64,
    /// kNN top-1 accuracy in [0, 1] after the epoch, when it was measured.
    pub knn_top1: Option<f64>,
}

/// Writes a [`PLOT_WIDTH_PX`] x [`PLOT_HEIGHT_PX`] PNG with two panels:
/// the loss per epoch on top and the kNN top-1 accuracy per epoch below,
/// on a fixed [0, 1] axis. The lower panel shows a message when no point
/// has a kNN value. Non-finite values are left out.
///
/// The image is written to a temporary file and renamed to `path`.
///
/// # Errors
/// [`Error::InvalidConfig`] if `points` is empty, [`Error::Io`] if the file
/// cannot be written.
pub fn write_loss_plot(path: &Path, points: &[EpochPoint]) -> Result<()> {
    if points.is_empty() {
        return Err(Error::config(
            "points",
            "the loss plot needs at least one epoch",
        ));
    }
    let mut image = RgbImage::from_pixel(PLOT_WIDTH_PX, PLOT_HEIGHT_PX, WHITE);
    let panel_height = i64::from(PLOT_HEIGHT_PX / 2);
    let epochs: Vec<f64> = points.iter().map(|p| p.epoch as f64).collect();
    let x_axis = Axis::from_values(&epochs, true);

    let loss: Vec<(f64, f64)> = points
        .iter()
        .map(|p| (p.epoch as f64, p.loss))
        .filter(|(_, y)| y.is_finite())
        .collect();
    let loss_values: Vec<f64> = loss.iter().map(|(_, y)| *y).collect();
    let loss_panel = Panel::new(
        0,
        panel_height,
        x_axis,
        Axis::from_values(&loss_values, false),
    );
    loss_panel.draw_frame(&mut image, "LOSS");
    loss_panel.draw_series(&mut image, &loss, LOSS_COLOR);

    let knn: Vec<(f64, f64)> = points
        .iter()
        .filter_map(|p| Some((p.epoch as f64, p.knn_top1?)))
        .filter(|(_, y)| y.is_finite())
        .collect();
    let knn_panel = Panel::new(
        panel_height,
        panel_height,
        x_axis,
        Axis::fixed(0.0, 1.0, 0.2),
    );
    knn_panel.draw_frame(&mut image, "KNN TOP-1");
    if knn.is_empty() {
        knn_panel.draw_centered_note(&mut image, "NO KNN VALUES");
    } else {
        knn_panel.draw_series(&mut image, &knn, KNN_COLOR);
    }

    let mut bytes = Vec::new();
    PngEncoder::new(&mut bytes)
        .write_image(
            image.as_raw(),
            PLOT_WIDTH_PX,
            PLOT_HEIGHT_PX,
            ExtendedColorType::Rgb8,
        )
        .map_err(|e| Error::Runtime(format!("encoding the loss plot failed: {e}")))?;
    write_atomic(path, &bytes)
}

/// A value range with tick spacing.
#[derive(Clone, Copy, Debug)]
struct Axis {
    low: f64,
    high: f64,
    step: f64,
}

impl Axis {
    fn fixed(low: f64, high: f64, step: f64) -> Self {
        Axis { low, high, step }
    }

    /// Covers the values with about five ticks at 1, 2 or 5 times a power
    /// of ten; `integer` keeps the step at 1 or more. A single value or an
    /// empty list gets a range around it.
    fn from_values(values: &[f64], integer: bool) -> Self {
        let low = values.iter().copied().fold(f64::INFINITY, f64::min);
        let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let (low, high) = match (low.is_finite(), high > low) {
            (false, _) => (0.0, 1.0),
            (true, true) => (low, high),
            // Epoch axes do not reach below epoch 0.
            (true, false) if integer => ((low - 1.0).max(0.0).min(low), low + 1.0),
            (true, false) => (low - 1.0, low + 1.0),
        };
        let mut step = nice_step((high - low) / 5.0);
        if integer {
            step = step.max(1.0).round();
        }
        Axis {
            low: (low / step).floor() * step,
            high: (high / step).ceil() * step,
            step,
        }
    }

    fn ticks(&self) -> Vec<f64> {
        let count = ((self.high - self.low) / self.step).round() as usize;
        (0..=count)
            .map(|i| self.low + i as f64 * self.step)
            .collect()
    }

    /// Formats a tick with as many decimals as the step needs.
    fn label(&self, value: f64) -> String {
        let decimals = (-self.step.log10().floor()).max(0.0) as usize;
        format!("{value:.decimals$}")
    }
}

/// The smallest of 1, 2 and 5 times a power of ten that is at least `raw`.
fn nice_step(raw: f64) -> f64 {
    let raw = if raw > 0.0 && raw.is_finite() {
        raw
    } else {
        1.0
    };
    let power = 10f64.powf(raw.log10().floor());
    let fraction = raw / power;
    let nice = if fraction <= 1.0 {
        1.0
    } else if fraction <= 2.0 {
        2.0
    } else if fraction <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * power
}

/// One chart: a plot area inside margins, with its two axes.
struct Panel {
    left: i64,
    right: i64,
    top: i64,
    bottom: i64,
    x_axis: Axis,
    y_axis: Axis,
}

impl Panel {
    fn new(top: i64, height: i64, x_axis: Axis, y_axis: Axis) -> Self {
        Panel {
            left: MARGIN_LEFT_PX,
            right: i64::from(PLOT_WIDTH_PX) - MARGIN_RIGHT_PX,
            top: top + MARGIN_TOP_PX,
            bottom: top + height - MARGIN_BOTTOM_PX,
            x_axis,
            y_axis,
        }
    }

    fn x_px(&self, value: f64) -> i64 {
        let fraction = (value - self.x_axis.low) / (self.x_axis.high - self.x_axis.low);
        self.left + (fraction * (self.right - self.left) as f64).round() as i64
    }

    fn y_px(&self, value: f64) -> i64 {
        let fraction = (value - self.y_axis.low) / (self.y_axis.high - self.y_axis.low);
        self.bottom - (fraction * (self.bottom - self.top) as f64).round() as i64
    }

    /// Draws the grid, the axes, tick marks with labels, the title above
    /// the plot area and the x-axis name below it.
    fn draw_frame(&self, image: &mut RgbImage, title: &str) {
        let text_height = i64::from(GLYPH_HEIGHT * TEXT_SCALE);
        for tick in self.y_axis.ticks() {
            let y = self.y_px(tick);
            fill_rect(image, self.left, y, self.right - self.left, 1, GRID);
            fill_rect(
                image,
                self.left - TICK_LENGTH_PX,
                y,
                TICK_LENGTH_PX,
                1,
                BLACK,
            );
            let label = self.y_axis.label(tick);
            let x = self.left - TICK_LENGTH_PX - 4 - i64::from(text_width(&label, TEXT_SCALE));
            draw_text(image, x, y - text_height / 2, &label, TEXT_SCALE, BLACK);
        }
        for tick in self.x_axis.ticks() {
            let x = self.x_px(tick);
            fill_rect(image, x, self.top, 1, self.bottom - self.top, GRID);
            fill_rect(image, x, self.bottom, 1, TICK_LENGTH_PX, BLACK);
            let label = self.x_axis.label(tick);
            let half_width = i64::from(text_width(&label, TEXT_SCALE)) / 2;
            let y = self.bottom + TICK_LENGTH_PX + 3;
            draw_text(image, x - half_width, y, &label, TEXT_SCALE, BLACK);
        }
        fill_rect(
            image,
            self.left,
            self.top,
            1,
            self.bottom - self.top + 1,
            BLACK,
        );
        fill_rect(
            image,
            self.left,
            self.bottom,
            self.right - self.left + 1,
            1,
            BLACK,
        );
        draw_text(
            image,
            self.left,
            self.top - text_height - 6,
            title,
            TEXT_SCALE,
            BLACK,
        );
        let name = "EPOCH";
        let x = self.right - i64::from(text_width(name, TEXT_SCALE));
        let y = self.bottom + TICK_LENGTH_PX + text_height + 8;
        draw_text(image, x, y, name, TEXT_SCALE, BLACK);
    }

    /// Draws the points as 5-pixel squares joined by 2-pixel lines.
    fn draw_series(&self, image: &mut RgbImage, points: &[(f64, f64)], color: Rgb<u8>) {
        let pixels: Vec<(i64, i64)> = points
            .iter()
            .map(|&(x, y)| (self.x_px(x), self.y_px(y)))
            .collect();
        for pair in pixels.windows(2) {
            draw_line(image, pair[0], pair[1], color);
        }
        for &(x, y) in &pixels {
            fill_rect(image, x - 2, y - 2, 5, 5, color);
        }
    }

    fn draw_centered_note(&self, image: &mut RgbImage, note: &str) {
        let x = (self.left + self.right - i64::from(text_width(note, TEXT_SCALE))) / 2;
        let y = (self.top + self.bottom - i64::from(GLYPH_HEIGHT * TEXT_SCALE)) / 2;
        draw_text(image, x, y, note, TEXT_SCALE, BLACK);
    }
}

/// Draws a 2-pixel-wide line by sampling it once per pixel of its longer
/// side.
fn draw_line(image: &mut RgbImage, from: (i64, i64), to: (i64, i64), color: Rgb<u8>) {
    let steps = (to.0 - from.0).abs().max((to.1 - from.1).abs()).max(1);
    for i in 0..=steps {
        let t = i as f64 / steps as f64;
        let x = from.0 as f64 + t * (to.0 - from.0) as f64;
        let y = from.1 as f64 + t * (to.1 - from.1) as f64;
        fill_rect(image, x.round() as i64, y.round() as i64, 2, 2, color);
    }
}
