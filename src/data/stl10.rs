//! STL-10 binary version.
//!
//! Images are 96x96 RGB, stored per image as three planes (red, green,
//! blue), each plane column-major: the byte for row `y`, column `x` sits at
//! `x * 96 + y`. `train_X.bin`/`train_y.bin` hold 5000 labeled images,
//! `test_X.bin`/`test_y.bin` 8000, `unlabeled_X.bin` 100000 unlabeled ones.
//! Labels are bytes from 1 to 10 and are shifted here to 0 to 9.

use std::path::Path;

use super::{Dataset, Image, Splits};
use crate::{Error, Result};

const SIDE: usize = 96;
const IMAGE_BYTES: usize = SIDE * SIDE * 3;

/// Reads every STL-10 split present in a folder.
pub fn read(root: &Path) -> Result<Splits> {
    let class_names: Vec<String> = std::fs::read_to_string(root.join("class_names.txt"))
        .map(|text| text.lines().map(|l| l.trim().to_string()).collect())
        .unwrap_or_default();
    let train = read_split(root, "train", true)?;
    let test = read_split(root, "test", true)?;
    let unlabeled = read_split(root, "unlabeled", false)?;
    if train.is_none() && test.is_none() && unlabeled.is_none() {
        return Err(Error::data(
            root,
            "no STL-10 files found: expected train_X.bin, test_X.bin or unlabeled_X.bin",
        ));
    }
    let name = |dataset: Option<Dataset>| {
        dataset.map(|mut d: Dataset| {
            if d.labels.is_some() {
                d.class_names = class_names.clone();
            }
            d
        })
    };
    Ok(Splits {
        train: name(train),
        test: name(test),
        unlabeled,
    })
}

/// Checks whether a folder contains STL-10 files.
pub fn detect(root: &Path) -> bool {
    ["train_X.bin", "test_X.bin", "unlabeled_X.bin"]
        .iter()
        .any(|name| root.join(name).is_file())
}

fn read_split(root: &Path, split: &str, labeled: bool) -> Result<Option<Dataset>> {
    let images_path = root.join(format!("{split}_X.bin"));
    if !images_path.is_file() {
        return Ok(None);
    }
    let bytes = std::fs::read(&images_path).map_err(|e| Error::io(&images_path, e))?;
    if bytes.is_empty() || bytes.len() % IMAGE_BYTES != 0 {
        return Err(Error::data(
            &images_path,
            format!(
                "truncated STL-10 file: {} bytes is not a whole number of {IMAGE_BYTES}-byte images",
                bytes.len()
            ),
        ));
    }
    let images: Vec<Image> = bytes.chunks_exact(IMAGE_BYTES).map(decode_image).collect();
    let labels_path = root.join(format!("{split}_y.bin"));
    let labels = if labeled && labels_path.is_file() {
        Some(read_labels(&labels_path, images.len())?)
    } else {
        None
    };
    Ok(Some(Dataset {
        images,
        labels,
        class_names: Vec::new(),
    }))
}

fn read_labels(path: &Path, expected: usize) -> Result<Vec<usize>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    if bytes.len() != expected {
        return Err(Error::data(
            path,
            format!("{} labels for {expected} images", bytes.len()),
        ));
    }
    bytes
        .iter()
        .map(|&label| match label {
            1..=10 => Ok(label as usize - 1),
            other => Err(Error::data(path, format!("label {other} outside 1..=10"))),
        })
        .collect()
}

fn decode_image(planes: &[u8]) -> Image {
    let plane = SIDE * SIDE;
    let mut rgb = vec![0u8; plane * 3];
    for c in 0..3 {
        for x in 0..SIDE {
            for y in 0..SIDE {
                rgb[(y * SIDE + x) * 3 + c] = planes[c * plane + x * SIDE + y];
            }
        }
    }
    Image {
        width: SIDE,
        height: SIDE,
        rgb,
    }
}
