//! CIFAR-10 and CIFAR-100 binary versions.
//!
//! A CIFAR-10 record is one label byte followed by 3072 image bytes: 1024
//! red, 1024 green and 1024 blue values, each plane row-major 32x32. The
//! train split is `data_batch_1.bin` to `data_batch_5.bin`, the test split
//! `test_batch.bin`. A CIFAR-100 record has two label bytes, coarse then
//! fine, before the same 3072 bytes, in `train.bin` and `test.bin`.

use std::path::Path;

use super::{Dataset, Image, Splits};
use crate::{Error, Result};

const SIDE: usize = 32;
const IMAGE_BYTES: usize = SIDE * SIDE * 3;

/// The CIFAR-100 label kind a dataset uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cifar100Labels {
    /// The 20 superclasses.
    Coarse,
    /// The 100 classes.
    #[default]
    Fine,
}

/// Reads CIFAR-10 from a folder with any of its batch files.
pub fn read_cifar10(root: &Path) -> Result<Splits> {
    let train_files: Vec<_> = (1..=5)
        .map(|i| root.join(format!("data_batch_{i}.bin")))
        .filter(|path| path.is_file())
        .collect();
    let test_file = root.join("test_batch.bin");
    if train_files.is_empty() && !test_file.is_file() {
        return Err(Error::data(
            root,
            "no CIFAR-10 files found: expected data_batch_1.bin .. data_batch_5.bin or test_batch.bin",
        ));
    }
    let class_names = read_names(&root.join("batches.meta.txt"));
    let train = if train_files.is_empty() {
        None
    } else {
        let mut dataset = Dataset::default();
        for path in &train_files {
            append_records(&mut dataset, path, 1, 0)?;
        }
        Some(dataset)
    };
    let test = if test_file.is_file() {
        let mut dataset = Dataset::default();
        append_records(&mut dataset, &test_file, 1, 0)?;
        Some(dataset)
    } else {
        None
    };
    Ok(with_names(train, test, class_names))
}

/// Reads CIFAR-100 from a folder with `train.bin` and/or `test.bin`.
pub fn read_cifar100(root: &Path, labels: Cifar100Labels) -> Result<Splits> {
    let label_offset = match labels {
        Cifar100Labels::Coarse => 0,
        Cifar100Labels::Fine => 1,
    };
    let read = |name: &str| -> Result<Option<Dataset>> {
        let path = root.join(name);
        if !path.is_file() {
            return Ok(None);
        }
        let mut dataset = Dataset::default();
        append_records(&mut dataset, &path, 2, label_offset)?;
        Ok(Some(dataset))
    };
    let train = read("train.bin")?;
    let test = read("test.bin")?;
    if train.is_none() && test.is_none() {
        return Err(Error::data(
            root,
            "no CIFAR-100 files found: expected train.bin or test.bin",
        ));
    }
    let names_file = match labels {
        Cifar100Labels::Coarse => "coarse_label_names.txt",
        Cifar100Labels::Fine => "fine_label_names.txt",
    };
    Ok(with_names(train, test, read_names(&root.join(names_file))))
}

/// Checks whether a folder contains CIFAR-10 batch files.
pub fn detect_cifar10(root: &Path) -> bool {
    root.join("data_batch_1.bin").is_file() || root.join("test_batch.bin").is_file()
}

/// Checks whether a folder contains CIFAR-100 files.
pub fn detect_cifar100(root: &Path) -> bool {
    root.join("train.bin").is_file() || root.join("test.bin").is_file()
}

fn with_names(train: Option<Dataset>, test: Option<Dataset>, names: Vec<String>) -> Splits {
    let name = |dataset: Option<Dataset>| {
        dataset.map(|mut d| {
            d.class_names = names.clone();
            d
        })
    };
    Splits {
        train: name(train),
        test: name(test),
        unlabeled: None,
    }
}

/// Appends the records of one file; `label_bytes` precede each image and the
/// label is the byte at `label_offset`.
fn append_records(
    dataset: &mut Dataset,
    path: &Path,
    label_bytes: usize,
    label_offset: usize,
) -> Result<()> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let record = label_bytes + IMAGE_BYTES;
    if bytes.is_empty() || bytes.len() % record != 0 {
        return Err(Error::data(
            path,
            format!(
                "truncated CIFAR file: {} bytes is not a whole number of {record}-byte records",
                bytes.len()
            ),
        ));
    }
    let labels = dataset.labels.get_or_insert_with(Vec::new);
    for chunk in bytes.chunks_exact(record) {
        labels.push(chunk[label_offset] as usize);
        let image = Image::from_planar(SIDE, SIDE, &chunk[label_bytes..])
            .ok_or_else(|| Error::data(path, "CIFAR record of the wrong size"))?;
        dataset.images.push(image);
    }
    Ok(())
}

/// Reads one class name per non-empty line, or none if the file is absent.
fn read_names(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .map(|text| {
            text.lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}
