//! The two-view batch loader.
//!
//! Each epoch visits the images in a permutation drawn from the run seed and
//! the epoch, so a resumed run visits them in the same order. A producer
//! thread decodes and augments the next batches on the rayon pool while the
//! caller trains on the current one, keeping up to `prefetch_batches` ready.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use burn::tensor::{Device, Tensor, TensorData};
use crossbeam_channel::{bounded, Receiver};
use rand::seq::SliceRandom;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::Dataset;
use crate::augment::{view_rng, ViewPipeline};
use crate::{Error, Result};

/// Settings of the batch loader.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoaderConfig {
    /// Images per batch; each batch contains `2 * batch_size` views.
    pub batch_size: usize,
    /// Drop the final partial batch of an epoch. Default `true`, so every
    /// step has the same number of negatives.
    pub drop_last: bool,
    /// Batches prepared ahead of the training step. Default 4.
    pub prefetch_batches: usize,
}

impl Default for LoaderConfig {
    fn default() -> Self {
        LoaderConfig {
            batch_size: 256,
            drop_last: true,
            prefetch_batches: 4,
        }
    }
}

/// One batch of views: all first views, then all second views.
///
/// # Shapes
/// `views` is `[2 * batch_size, 3, side, side]`, row-major.
#[derive(Clone, Debug)]
pub struct TwoViewBatch {
    pub views: Vec<f32>,
    pub batch_size: usize,
    pub side: usize,
    /// Dataset index of each image in the batch.
    pub indices: Vec<usize>,
}

impl TwoViewBatch {
    /// Copies the views into a tensor on `device`.
    ///
    /// # Shapes
    /// Returns `[2 * batch_size, 3, side, side]`.
    pub fn to_tensor(&self, device: &Device) -> Tensor<4> {
        let shape = [2 * self.batch_size, 3, self.side, self.side];
        Tensor::from_data(TensorData::new(self.views.clone(), shape), device)
    }
}

/// Rejects a batch of fewer than 2 images, which has no negatives.
pub fn check_batch_size(batch_size: usize) -> Result<()> {
    if batch_size < 2 {
        return Err(Error::config(
            "batch_size",
            format!("NT-Xent needs at least 2 images per batch, got {batch_size}"),
        ));
    }
    Ok(())
}

/// Produces batches of two augmented views per image.
pub struct TwoViewLoader {
    dataset: Arc<Dataset>,
    pipeline: Arc<ViewPipeline>,
    config: LoaderConfig,
    seed: u64,
}

impl TwoViewLoader {
    /// Builds a loader, rejecting a batch size below 2 or above the dataset.
    pub fn new(
        dataset: Arc<Dataset>,
        pipeline: Arc<ViewPipeline>,
        config: LoaderConfig,
        seed: u64,
    ) -> Result<Self> {
        check_batch_size(config.batch_size)?;
        if dataset.len() < config.batch_size {
            return Err(Error::config(
                "batch_size",
                format!(
                    "the dataset has {} images, fewer than one batch of {}",
                    dataset.len(),
                    config.batch_size
                ),
            ));
        }
        Ok(TwoViewLoader {
            dataset,
            pipeline,
            config: LoaderConfig {
                prefetch_batches: config.prefetch_batches.max(1),
                ..config
            },
            seed,
        })
    }

    /// Batches in one epoch.
    pub fn batches_per_epoch(&self) -> usize {
        let (len, batch) = (self.dataset.len(), self.config.batch_size);
        if self.config.drop_last {
            len / batch
        } else {
            len.div_ceil(batch)
        }
    }

    /// Returns the order in which `epoch` visits the dataset.
    pub fn permutation(&self, epoch: u64) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.dataset.len()).collect();
        order.shuffle(&mut view_rng(
            self.seed ^ 0x5348_5546_464c_4521,
            epoch,
            u64::MAX,
        ));
        order
    }

    /// Iterates over the batches of `epoch`, starting at batch `first_batch`.
    pub fn epoch(&self, epoch: u64, first_batch: usize) -> EpochBatches {
        let order = self.permutation(epoch);
        let batch_size = self.config.batch_size;
        let batches: Vec<Vec<usize>> = order
            .chunks(batch_size)
            .take(self.batches_per_epoch())
            .skip(first_batch)
            .map(<[usize]>::to_vec)
            .collect();
        let (sender, receiver) = bounded(self.config.prefetch_batches);
        let dataset = Arc::clone(&self.dataset);
        let pipeline = Arc::clone(&self.pipeline);
        let seed = self.seed;
        let producer = std::thread::spawn(move || {
            for indices in batches {
                let batch = assemble(&dataset, &pipeline, seed, epoch, indices);
                if sender.send(batch).is_err() {
                    break;
                }
            }
        });
        EpochBatches {
            receiver,
            producer: Some(producer),
            wait: Duration::ZERO,
        }
    }
}

/// Augments the images of one batch in parallel and lays out the views.
fn assemble(
    dataset: &Dataset,
    pipeline: &ViewPipeline,
    seed: u64,
    epoch: u64,
    indices: Vec<usize>,
) -> TwoViewBatch {
    let side = pipeline.output_size();
    let view_len = 3 * side * side;
    let batch_size = indices.len();
    let mut views = vec![0f32; 2 * batch_size * view_len];
    let (first, second) = views.split_at_mut(batch_size * view_len);
    first
        .par_chunks_mut(view_len)
        .zip(second.par_chunks_mut(view_len))
        .zip(indices.par_iter())
        .for_each(|((a, b), &index)| {
            let image = &dataset.images[index];
            let (view_a, view_b) = pipeline.two_views(image, seed, epoch, index as u64);
            a.copy_from_slice(&view_a.data);
            b.copy_from_slice(&view_b.data);
        });
    TwoViewBatch {
        views,
        batch_size,
        side,
        indices,
    }
}

/// The batches of one epoch, produced in the background.
pub struct EpochBatches {
    receiver: Receiver<TwoViewBatch>,
    producer: Option<JoinHandle<()>>,
    wait: Duration,
}

impl EpochBatches {
    /// Total time the caller has waited for batches in this epoch.
    pub fn wait_time(&self) -> Duration {
        self.wait
    }
}

impl Iterator for EpochBatches {
    type Item = TwoViewBatch;

    fn next(&mut self) -> Option<TwoViewBatch> {
        let start = Instant::now();
        let batch = self.receiver.recv().ok();
        self.wait += start.elapsed();
        batch
    }
}

impl Drop for EpochBatches {
    fn drop(&mut self) {
        // Disconnect first so a producer blocked on a full channel returns.
        let (_, empty) = bounded(0);
        drop(std::mem::replace(&mut self.receiver, empty));
        if let Some(producer) = self.producer.take() {
            let _ = producer.join();
        }
    }
}
