//! The two-view loader on the builtin dataset.

use std::sync::Arc;

use burn::tensor::Device;
use simclr::augment::SimclrAugment;
use simclr::data::{self, Dataset, LoaderConfig, ReadOptions, TwoViewLoader};

fn builtin_subset(count: usize) -> Arc<Dataset> {
    let mut train = data::open(&data::DataSpec::Builtin, &ReadOptions::default())
        .unwrap()
        .train
        .unwrap();
    train.truncate(count);
    Arc::new(train)
}

fn loader(dataset: Arc<Dataset>, batch_size: usize) -> simclr::Result<TwoViewLoader> {
    let pipeline = SimclrAugment::default().pipeline(28).unwrap();
    let config = LoaderConfig {
        batch_size,
        ..LoaderConfig::default()
    };
    TwoViewLoader::new(dataset, Arc::new(pipeline), config, 7)
}

#[test]
fn batches_have_two_views_per_image() {
    let loader = loader(builtin_subset(100), 16).unwrap();
    assert_eq!(
        loader.batches_per_epoch(),
        6,
        "the partial batch is dropped"
    );
    let batches: Vec<_> = loader.epoch(0, 0).collect();
    assert_eq!(batches.len(), 6);
    let tensor = batches[0].to_tensor(&Device::flex());
    assert_eq!(tensor.dims(), [32, 3, 28, 28]);
    let view_len = 3 * 28 * 28;
    let first = &batches[0].views[..view_len];
    let second = &batches[0].views[16 * view_len..17 * view_len];
    assert_ne!(first, second, "the two views of image 0 are identical");
    assert!(batches[0].views.iter().all(|v| (0.0..=1.0).contains(v)));
    let mut seen: Vec<usize> = batches.iter().flat_map(|b| b.indices.clone()).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 96, "an image appears twice in one epoch");
}

#[test]
fn epochs_are_reproducible_and_resumable() {
    let loader = loader(builtin_subset(64), 8).unwrap();
    let full: Vec<_> = loader.epoch(3, 0).collect();
    let again: Vec<_> = loader.epoch(3, 0).collect();
    let resumed: Vec<_> = loader.epoch(3, 5).collect();
    assert_eq!(resumed.len(), 3);
    for (a, b) in full.iter().zip(&again) {
        assert_eq!(a.indices, b.indices);
        assert_eq!(a.views, b.views);
    }
    assert_eq!(resumed[0].indices, full[5].indices);
    assert_eq!(resumed[0].views, full[5].views);
    let next: Vec<_> = loader.epoch(4, 0).collect();
    assert_ne!(next[0].indices, full[0].indices, "epochs share an order");
}

#[test]
fn early_drop_stops_the_producer() {
    let loader = loader(builtin_subset(200), 4).unwrap();
    let mut batches = loader.epoch(0, 0);
    assert!(batches.next().is_some());
    drop(batches);
}

#[test]
fn rejects_small_datasets_and_batches() {
    let error = loader(builtin_subset(10), 16).err().unwrap();
    let text = error.to_string();
    assert!(text.contains("10 images"), "{text}");
    assert!(text.contains("16"), "{text}");
    let error = loader(builtin_subset(10), 1).err().unwrap();
    assert!(error.to_string().contains("got 1"), "{error}");
}
