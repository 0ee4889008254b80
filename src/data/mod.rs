//! Dataset readers and the two-view batch loader.
//!
//! A dataset is named by a [`DataSpec`]: `builtin`, a path whose format is
//! detected, or `FORMAT:PATH` with FORMAT one of `idx`, `cifar10`,
//! `cifar100`, `stl10`, `folder`. Every reader returns RGB [`Image`]s.

pub mod builtin;
pub mod cifar;
pub mod dataset;
pub mod folder;
pub mod idx;
pub mod image;
pub mod loader;
pub mod stl10;

use std::path::{Path, PathBuf};

pub use cifar::Cifar100Labels;
pub use dataset::{Dataset, SplitName, Splits};
pub use image::Image;
pub use loader::{EpochBatches, LoaderConfig, TwoViewBatch, TwoViewLoader};

use crate::{Error, Result};

/// The default pixel limit (178956970 pixels, about 13400x13400). An image
/// above it is rejected from its header, before decoding, as a likely
/// decompression bomb.
pub const DEFAULT_MAX_PIXELS: u64 = 178_956_970;

/// A dataset format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Idx,
    Cifar10,
    Cifar100,
    Stl10,
    Folder,
}

impl Format {
    const NAMES: [(&'static str, Format); 5] = [
        ("idx", Format::Idx),
        ("cifar10", Format::Cifar10),
        ("cifar100", Format::Cifar100),
        ("stl10", Format::Stl10),
        ("folder", Format::Folder),
    ];

    fn parse(name: &str) -> Option<Format> {
        Self::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, format)| format)
    }
}

/// The dataset to read, as given to `--data`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataSpec {
    Builtin,
    /// A path whose format is detected from the files in it.
    Detect(PathBuf),
    Path(Format, PathBuf),
}

impl std::str::FromStr for DataSpec {
    type Err = Error;

    fn from_str(spec: &str) -> Result<Self> {
        if spec == "builtin" {
            return Ok(DataSpec::Builtin);
        }
        if let Some((prefix, path)) = spec.split_once(':') {
            if let Some(format) = Format::parse(prefix) {
                return Ok(DataSpec::Path(format, PathBuf::from(path)));
            }
            if !Path::new(spec).exists() {
                return Err(Error::config(
                    "data",
                    format!(
                        "unknown dataset format '{prefix}' in '{spec}': expected builtin, a path, \
                         or FORMAT:PATH with FORMAT one of idx, cifar10, cifar100, stl10, folder"
                    ),
                ));
            }
        }
        Ok(DataSpec::Detect(PathBuf::from(spec)))
    }
}

impl std::fmt::Display for DataSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DataSpec::Builtin => f.write_str("builtin"),
            DataSpec::Detect(path) => write!(f, "{}", path.display()),
            DataSpec::Path(format, path) => {
                let name = Format::NAMES
                    .iter()
                    .find(|(_, fmt)| fmt == format)
                    .map_or("?", |(n, _)| *n);
                write!(f, "{name}:{}", path.display())
            }
        }
    }
}

/// Options that apply to every reader.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReadOptions {
    /// Largest image, in pixels, that is decoded; larger ones are rejected.
    pub max_pixels: u64,
    /// Stop on the first unreadable image of a folder instead of skipping it.
    pub strict: bool,
    /// The CIFAR-100 label kind.
    pub cifar100_labels: Cifar100Labels,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            max_pixels: DEFAULT_MAX_PIXELS,
            strict: false,
            cifar100_labels: Cifar100Labels::Fine,
        }
    }
}

/// Reads every split of a dataset.
pub fn open(spec: &DataSpec, options: &ReadOptions) -> Result<Splits> {
    let (format, path) = match spec {
        DataSpec::Builtin => return builtin::read(),
        DataSpec::Detect(path) => (detect(path)?, path.as_path()),
        DataSpec::Path(format, path) => (*format, path.as_path()),
    };
    if !path.is_dir() {
        let message = if path.exists() {
            "not a folder: a dataset is a folder of dataset files"
        } else {
            "dataset path not found"
        };
        return Err(Error::data(path, message));
    }
    match format {
        Format::Idx => idx::read_folder(path),
        Format::Cifar10 => cifar::read_cifar10(path),
        Format::Cifar100 => cifar::read_cifar100(path, options.cifar100_labels),
        Format::Stl10 => stl10::read(path),
        Format::Folder => folder::read(path, options),
    }
}

/// Detects the format of a dataset folder from the files in it.
pub fn detect(path: &Path) -> Result<Format> {
    if !path.exists() {
        return Err(Error::data(path, "dataset path not found"));
    }
    if idx::detect(path) {
        Ok(Format::Idx)
    } else if cifar::detect_cifar10(path) {
        Ok(Format::Cifar10)
    } else if cifar::detect_cifar100(path) {
        Ok(Format::Cifar100)
    } else if stl10::detect(path) {
        Ok(Format::Stl10)
    } else if folder::detect(path) {
        Ok(Format::Folder)
    } else {
        Err(Error::data(
            path,
            "unknown dataset format: expected IDX, CIFAR-10, CIFAR-100 or STL-10 files, or \
             class folders of images; name the format with FORMAT:PATH",
        ))
    }
}

impl Splits {
    /// Takes the named split out, or returns an error naming the dataset and
    /// the split.
    pub fn take(&mut self, split: SplitName, spec: &DataSpec) -> Result<Dataset> {
        let missing =
            |name: &str| Error::config("data", format!("dataset '{spec}' has no {name} split"));
        let dataset = match split {
            SplitName::Train => self.train.take().ok_or_else(|| missing("train"))?,
            SplitName::Test => self.test.take().ok_or_else(|| missing("test"))?,
            SplitName::Unlabeled => self.unlabeled.take().ok_or_else(|| missing("unlabeled"))?,
            SplitName::TrainUnlabeled => {
                let mut train = self.train.take().ok_or_else(|| missing("train"))?;
                let unlabeled = self.unlabeled.take().ok_or_else(|| missing("unlabeled"))?;
                train.images.extend(unlabeled.images);
                // The unlabeled images have no label, so the joined split has none.
                train.labels = None;
                train
            }
        };
        if dataset.is_empty() {
            return Err(Error::config(
                "data",
                format!("the {split} split of dataset '{spec}' is empty"),
            ));
        }
        Ok(dataset)
    }
}
