//! Weighted k-nearest-neighbour classification on frozen features.
//!
//! Each test feature is compared by cosine similarity with every training
//! feature. The `k` most similar vote for their class with weight
//! `exp(similarity / temperature)`, and the class with the largest sum wins.
//! This weighted vote follows the kNN monitor of instance discrimination
//! (Wu et al. 2018). The defaults here are k = 200 and temperature 0.1.

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

use super::features::Features;
use super::TopK;
use crate::{Error, Result};

/// Test rows compared with the training set in one matrix product.
const CHUNK_ROWS: usize = 256;

/// Settings of the kNN classifier.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KnnConfig {
    /// Neighbours that vote; a `k` above the training set size uses all of it.
    pub k: usize,
    /// Temperature of the vote weights `exp(similarity / temperature)`.
    pub temperature: f64,
}

impl Default for KnnConfig {
    fn default() -> Self {
        KnnConfig {
            k: 200,
            temperature: 0.1,
        }
    }
}

impl KnnConfig {
    /// Rejects a `k` of zero and a temperature that is not finite and positive.
    pub fn validate(&self) -> Result<()> {
        if self.k == 0 {
            return Err(Error::config("knn.k", "k must be at least 1, got 0"));
        }
        if !(self.temperature.is_finite() && self.temperature > 0.0) {
            return Err(Error::config(
                "knn.temperature",
                format!("must be finite and positive, got {}", self.temperature),
            ));
        }
        Ok(())
    }
}

/// Class votes of each test row, ranked: `ranked[i][0]` is row i's prediction.
pub fn knn_ranked_classes(
    train: &Features,
    test: &Features,
    num_classes: usize,
    config: &KnnConfig,
    device: &Device,
) -> Result<Vec<Vec<usize>>> {
    config.validate()?;
    if train.dim != test.dim {
        return Err(Error::Shape {
            op: "knn".into(),
            message: format!(
                "train features have dim {}, test features {}",
                train.dim, test.dim
            ),
        });
    }
    let train_labels = train.labels_for("kNN classification")?;
    if train.rows == 0 {
        return Err(Error::config(
            "data",
            "kNN needs at least one training image",
        ));
    }
    let k = config.k.min(train.rows);
    let train_norm = train.l2_normalized();
    let test_norm = test.l2_normalized();
    let train_t = Features::tensor_rows(&train_norm, train.dim, 0, train.rows, device).transpose();
    let mut ranked = Vec::with_capacity(test.rows);
    for start in (0..test.rows).step_by(CHUNK_ROWS) {
        let end = (start + CHUNK_ROWS).min(test.rows);
        let chunk = Features::tensor_rows(&test_norm, test.dim, start, end, device);
        // [end - start, train.rows]
        let similarity = chunk.matmul(train_t.clone()).into_data();
        let similarity = similarity
            .as_slice::<f32>()
            .map_err(|e| Error::Runtime(format!("reading kNN similarities failed: {e:?}")))?;
        for row in similarity.chunks(train.rows) {
            ranked.push(vote(row, train_labels, num_classes, k, config.temperature));
        }
    }
    Ok(ranked)
}

/// Ranks classes by the weighted votes of the `k` most similar rows.
fn vote(
    similarity: &[f32],
    labels: &[usize],
    num_classes: usize,
    k: usize,
    temperature: f64,
) -> Vec<usize> {
    let mut order: Vec<usize> = (0..similarity.len()).collect();
    let by_similarity = |a: &usize, b: &usize| similarity[*b].total_cmp(&similarity[*a]);
    if k < order.len() {
        order.select_nth_unstable_by(k - 1, by_similarity);
        order.truncate(k);
    }
    let mut votes = vec![0f64; num_classes];
    for &i in &order {
        votes[labels[i]] += (f64::from(similarity[i]) / temperature).exp();
    }
    let mut classes: Vec<usize> = (0..num_classes).collect();
    // Stable sort: among equal votes the lower class index ranks first.
    classes.sort_by(|&a, &b| votes[b].total_cmp(&votes[a]));
    classes
}

/// Top-1 and top-5 accuracy of the kNN classifier on labeled test features.
pub fn knn_accuracy(
    train: &Features,
    test: &Features,
    num_classes: usize,
    config: &KnnConfig,
    device: &Device,
) -> Result<TopK> {
    let ranked = knn_ranked_classes(train, test, num_classes, config, device)?;
    let labels = test.labels_for("kNN evaluation")?;
    Ok(TopK::from_rankings(&ranked, labels))
}
