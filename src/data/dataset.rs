//! Labeled image collections and the splits a reader returns.

use super::Image;

/// A list of images with optional class labels.
#[derive(Clone, Debug, Default)]
pub struct Dataset {
    pub images: Vec<Image>,
    /// One label per image, or `None` for unlabeled data.
    pub labels: Option<Vec<usize>>,
    /// Class names indexed by label, where the format stores them.
    pub class_names: Vec<String>,
}

impl Dataset {
    pub fn len(&self) -> usize {
        self.images.len()
    }

    pub fn is_empty(&self) -> bool {
        self.images.is_empty()
    }

    /// Counts the classes: the named classes, or one more than the largest
    /// label.
    pub fn num_classes(&self) -> Option<usize> {
        if !self.class_names.is_empty() {
            return Some(self.class_names.len());
        }
        let labels = self.labels.as_ref()?;
        labels.iter().max().map(|&max| max + 1)
    }

    /// Keeps only the first `count` images.
    pub fn truncate(&mut self, count: usize) {
        self.images.truncate(count);
        if let Some(labels) = &mut self.labels {
            labels.truncate(count);
        }
    }

    /// Returns the side of the square the images fit in: the largest height
    /// or width.
    pub fn max_side(&self) -> usize {
        self.images
            .iter()
            .map(|image| image.width.max(image.height))
            .max()
            .unwrap_or(0)
    }
}

/// The splits of one dataset. A format fills the splits it has.
#[derive(Clone, Debug, Default)]
pub struct Splits {
    pub train: Option<Dataset>,
    pub test: Option<Dataset>,
    /// Unlabeled images for pretraining only (STL-10's `unlabeled` split).
    pub unlabeled: Option<Dataset>,
}

/// The split a command reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SplitName {
    Train,
    Test,
    Unlabeled,
    /// The train split followed by the unlabeled split.
    #[serde(rename = "train+unlabeled")]
    TrainUnlabeled,
}

impl std::fmt::Display for SplitName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            SplitName::Train => "train",
            SplitName::Test => "test",
            SplitName::Unlabeled => "unlabeled",
            SplitName::TrainUnlabeled => "train+unlabeled",
        };
        f.write_str(name)
    }
}
