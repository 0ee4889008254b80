//! Label subsets and semi-supervised fine-tuning on builtin images.

use burn::tensor::Device;
use simclr::data::{self, DataSpec, Dataset, ReadOptions};
use simclr::eval::{finetune, label_subset, EvalTransform, FinetuneConfig};
use simclr::model::{Arch, EncoderConfig, ProjectionHeadConfig, SimclrModelConfig, Stem};

fn counts_per_class(labels: &[usize], subset: &[usize], num_classes: usize) -> Vec<usize> {
    let mut counts = vec![0; num_classes];
    for &index in subset {
        counts[labels[index]] += 1;
    }
    counts
}

#[test]
fn label_subset_is_balanced() {
    // Classes 0..4 with 10, 20, 30 and 41 images, interleaved.
    let mut labels = Vec::new();
    for (class, count) in [10, 20, 30, 41].into_iter().enumerate() {
        labels.extend(std::iter::repeat_n(class, count));
    }
    labels.reverse();
    let subset = label_subset(&labels, 0.1, 0).expect("valid fraction");
    assert_eq!(counts_per_class(&labels, &subset, 4), vec![1, 2, 3, 4]);
    assert!(subset.windows(2).all(|w| w[0] < w[1]), "sorted and unique");

    let tiny = label_subset(&labels, 0.001, 0).expect("valid fraction");
    assert_eq!(counts_per_class(&labels, &tiny, 4), vec![1, 1, 1, 1]);

    let all = label_subset(&labels, 1.0, 0).expect("valid fraction");
    assert_eq!(all, (0..labels.len()).collect::<Vec<_>>());
}

#[test]
fn label_subset_is_seeded() {
    let labels: Vec<usize> = (0..500).map(|i| i % 5).collect();
    let first = label_subset(&labels, 0.2, 7).expect("valid fraction");
    let again = label_subset(&labels, 0.2, 7).expect("valid fraction");
    let other = label_subset(&labels, 0.2, 8).expect("valid fraction");
    assert_eq!(first, again);
    assert_ne!(first, other);
    assert_eq!(first.len(), 100);
}

#[test]
fn label_subset_rejects_bad_fractions() {
    let labels = vec![0, 1, 0, 1];
    for fraction in [0.0, 1.5, f64::NAN, -0.1] {
        let error = label_subset(&labels, fraction, 0).expect_err("invalid fraction");
        let message = error.to_string();
        assert!(message.contains("label_fraction"), "{message}");
        assert!(message.contains(&fraction.to_string()), "{message}");
    }
}

fn builtin_splits(train_count: usize, test_count: usize) -> (Dataset, Dataset) {
    let mut splits = data::open(&DataSpec::Builtin, &ReadOptions::default()).expect("builtin");
    let mut train = splits.train.take().expect("train split");
    let mut test = splits.test.take().expect("test split");
    train.truncate(train_count);
    test.truncate(test_count);
    (train, test)
}

#[test]
fn finetune_runs_one_epoch() {
    let device = Device::flex();
    let (train, test) = builtin_splits(240, 100);
    let mut encoder = EncoderConfig::new(Arch::Resnet18, Stem::Cifar);
    encoder.width_multiplier = 0.125;
    let config = SimclrModelConfig {
        encoder,
        projection_head: ProjectionHeadConfig {
            output_dim: 16,
            ..Default::default()
        },
    };
    let model = config.init(&device).expect("valid model config");
    let transform = EvalTransform {
        side: 28,
        normalize: None,
    };
    let finetune_config = FinetuneConfig {
        epochs: 1,
        batch_size: 32,
        label_fraction: 0.25,
        ..FinetuneConfig::default()
    };
    let (model, top) = finetune(
        model,
        &train,
        &test,
        &finetune_config,
        1,
        &transform,
        &device,
    )
    .expect("fine-tuning runs");
    assert!((0.0..=1.0).contains(&top.top1), "top1 {}", top.top1);
    assert!((0.0..=1.0).contains(&top.top5), "top5 {}", top.top5);
    assert!(
        top.top5 >= top.top1,
        "top5 {} < top1 {}",
        top.top5,
        top.top1
    );
    assert_eq!(model.encoder.representation_dim(), 64);

    let past_head = finetune(
        model,
        &train,
        &test,
        &finetune_config,
        3,
        &transform,
        &device,
    );
    let error = past_head.expect_err("eval_layer 3 of a 2-layer head");
    assert!(error.to_string().contains("eval_layer"), "{error}");
}
