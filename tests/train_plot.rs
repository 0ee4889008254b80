//! The loss plot PNG.

use std::path::Path;

use simclr::train::plot::{write_loss_plot, EpochPoint, PLOT_HEIGHT_PX, PLOT_WIDTH_PX};

/// Decodes the PNG and counts the pixels of the given color.
fn read_plot(path: &Path, color: [u8; 3]) -> (u32, u32, usize) {
    let image = image::open(path).expect("valid PNG").to_rgb8();
    let count = image.pixels().filter(|p| p.0 == color).count();
    (image.width(), image.height(), count)
}

/// Copies the plot to `SIMCLR_TEST_PLOT_DIR` when it is set, for looking at.
fn keep_for_inspection(path: &Path, name: &str) {
    if let Some(dir) = std::env::var_os("SIMCLR_TEST_PLOT_DIR") {
        std::fs::copy(path, Path::new(&dir).join(name)).expect("copy the plot");
    }
}

const LOSS_COLOR: [u8; 3] = [31, 119, 180];
const KNN_COLOR: [u8; 3] = [214, 39, 40];

#[test]
fn plot_of_five_epochs() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("loss.png");
    let points: Vec<EpochPoint> = (1..=5)
        .map(|epoch| EpochPoint {
            epoch,
            loss: 6.0 / epoch as f64,
            knn_top1: Some(0.1 + 0.15 * epoch as f64),
        })
        .collect();
    write_loss_plot(&path, &points).expect("written");
    keep_for_inspection(&path, "plot_five_epochs.png");
    let (width, height, loss_pixels) = read_plot(&path, LOSS_COLOR);
    assert_eq!((width, height), (PLOT_WIDTH_PX, PLOT_HEIGHT_PX));
    assert!(loss_pixels > 200, "{loss_pixels} loss pixels");
    let (_, _, knn_pixels) = read_plot(&path, KNN_COLOR);
    assert!(knn_pixels > 200, "{knn_pixels} kNN pixels");
    let entries = std::fs::read_dir(dir.path()).expect("readable").count();
    assert_eq!(entries, 1, "no temporary file left");
}

#[test]
fn plot_of_one_epoch() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("loss.png");
    let points = [EpochPoint {
        epoch: 0,
        loss: 4.2,
        knn_top1: None,
    }];
    write_loss_plot(&path, &points).expect("written");
    keep_for_inspection(&path, "plot_one_epoch.png");
    let (width, height, loss_pixels) = read_plot(&path, LOSS_COLOR);
    assert_eq!((width, height), (PLOT_WIDTH_PX, PLOT_HEIGHT_PX));
    assert!(
        loss_pixels >= 25,
        "{loss_pixels} loss pixels: one 5x5 marker"
    );
    let (_, _, knn_pixels) = read_plot(&path, KNN_COLOR);
    assert_eq!(knn_pixels, 0, "no kNN values to draw");
}

#[test]
fn plot_rejects_no_epochs() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("loss.png");
    assert!(write_loss_plot(&path, &[]).is_err());
    assert!(!path.exists());
}
