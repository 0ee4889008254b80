//! Evaluation of a learned representation: kNN, linear evaluation,
//! fine-tuning with a fraction of the labels, and feature export.

pub mod classifier;
pub mod embed;
pub mod extract;
pub mod features;
pub mod finetune;
pub mod knn;
pub mod linear;
mod progress;

pub use classifier::{ClassifierOptimizerConfig, ClassifierOptimizerKind};
pub use embed::write_features;
pub use extract::{eval_view, extract_features, EvalTransform};
pub use features::Features;
pub use finetune::{finetune, label_subset, FinetuneConfig};
pub use knn::{knn_accuracy, knn_ranked_classes, KnnConfig};
pub use linear::{linear_eval, LinearEvalConfig};

/// Top-1 and top-5 accuracy as fractions in [0, 1].
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TopK {
    pub top1: f64,
    pub top5: f64,
}

impl TopK {
    /// Scores class rankings (best first) against the true labels.
    pub fn from_rankings(ranked: &[Vec<usize>], labels: &[usize]) -> Self {
        let count = ranked.len().max(1) as f64;
        let hits = |n: usize| {
            ranked
                .iter()
                .zip(labels)
                .filter(|(classes, label)| classes.iter().take(n).any(|c| c == *label))
                .count() as f64
        };
        TopK {
            top1: hits(1) / count,
            top5: hits(5) / count,
        }
    }
}
