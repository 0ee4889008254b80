//! The builtin dataset: a class-balanced Fashion-MNIST subset embedded in the
//! binary (10000 train and 2000 test images, 28x28, MIT license; source and
//! license in `assets/fashion-mnist-subset/`).

use std::path::Path;

use super::{idx, Dataset, Splits};
use crate::Result;

const TRAIN_IMAGES: &[u8] =
    include_bytes!("../../assets/fashion-mnist-subset/train-images-idx3-ubyte.gz");
const TRAIN_LABELS: &[u8] =
    include_bytes!("../../assets/fashion-mnist-subset/train-labels-idx1-ubyte.gz");
const TEST_IMAGES: &[u8] =
    include_bytes!("../../assets/fashion-mnist-subset/t10k-images-idx3-ubyte.gz");
const TEST_LABELS: &[u8] =
    include_bytes!("../../assets/fashion-mnist-subset/t10k-labels-idx1-ubyte.gz");

/// Fashion-MNIST class names, indexed by label.
pub const CLASS_NAMES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

/// Decodes the embedded train and test splits.
pub fn read() -> Result<Splits> {
    Ok(Splits {
        train: Some(split("builtin:train", TRAIN_IMAGES, TRAIN_LABELS)?),
        test: Some(split("builtin:test", TEST_IMAGES, TEST_LABELS)?),
        unlabeled: None,
    })
}

fn split(name: &str, images: &[u8], labels: &[u8]) -> Result<Dataset> {
    let path = Path::new(name);
    let images = idx::parse_images(path, &idx::inflate_if_gzip(path, images.to_vec())?)?;
    let labels = idx::parse_labels(path, &idx::inflate_if_gzip(path, labels.to_vec())?)?;
    Ok(Dataset {
        images,
        labels: Some(labels),
        class_names: CLASS_NAMES.iter().map(|s| s.to_string()).collect(),
    })
}
