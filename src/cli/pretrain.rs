//! `simclr pretrain`: SimCLR pretraining with checkpoints and resume.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Args;

use super::args::{parse_name, set, AugmentArgs, DataArgs};
use super::runs;
use simclr::data::SplitName;
use simclr::loss::LossConfig;
use simclr::model::kernels::ConvKernels;
use simclr::model::{Arch, ProjectionKind, Stem};
use simclr::optim::{LrScaling, OptimizerKind};
use simclr::train::{self, Outcome, PretrainConfig};

#[derive(Args, Debug)]
pub struct PretrainArgs {
    /// TOML file with any of the settings; flags override it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Run directory: config, metrics, checkpoint, encoder weights, plot.
    /// An existing checkpoint there is resumed.
    #[arg(long, value_name = "DIR", default_value = "runs/pretrain")]
    pub out: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// Split to pretrain on: train, test, unlabeled or train+unlabeled.
    #[arg(long, value_parser = parse_name::<SplitName>)]
    pub split: Option<SplitName>,
    /// Use only the first N images of the split.
    #[arg(long, value_name = "N")]
    pub max_images: Option<usize>,
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Images per batch; each step trains on twice as many views.
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Stop after N optimizer steps of the whole run, with a checkpoint.
    #[arg(long, value_name = "N")]
    pub max_steps: Option<usize>,
    #[arg(long)]
    pub seed: Option<u64>,
    /// Encoder: resnet18, resnet34, resnet50, resnet101 or resnet152.
    #[arg(long, value_parser = parse_name::<Arch>)]
    pub arch: Option<Arch>,
    /// Width multiplier of every encoder layer (1, 2, 4, or a fraction).
    #[arg(long, value_name = "W")]
    pub width_multiplier: Option<f64>,
    /// Stem: imagenet or cifar [default: cifar for images of 32 pixels or less].
    #[arg(long, value_parser = parse_name::<Stem>)]
    pub stem: Option<Stem>,
    /// Convolution kernels: burn (burn's conv2d) or custom (this crate's
    /// CPU kernels on the flex backend).
    #[arg(long, value_parser = parse_name::<ConvKernels>)]
    pub conv_kernels: Option<ConvKernels>,
    /// Start each residual block's last BatchNorm scale at zero.
    #[arg(long)]
    pub zero_init_residual: bool,
    /// Projection head: none, linear or nonlinear.
    #[arg(long, value_parser = parse_name::<ProjectionKind>)]
    pub projection_head: Option<ProjectionKind>,
    /// Linear layers of a nonlinear head (2 in SimCLR, 3 in SimCLRv2).
    #[arg(long, value_name = "N")]
    pub head_layers: Option<usize>,
    /// Size of the projection z.
    #[arg(long, value_name = "DIM")]
    pub projection_dim: Option<usize>,
    /// Loss: nt_xent, nt_logistic or margin_triplet.
    #[arg(long, value_name = "KIND")]
    pub loss: Option<String>,
    /// Temperature of NT-Xent and NT-Logistic.
    #[arg(long, allow_negative_numbers = true)]
    pub temperature: Option<f64>,
    /// Optimizer: lars, sgd or adamw.
    #[arg(long, value_parser = parse_name::<OptimizerKind>)]
    pub optimizer: Option<OptimizerKind>,
    /// Learning rate before batch-size scaling.
    #[arg(long, value_name = "LR", allow_negative_numbers = true)]
    pub base_lr: Option<f64>,
    /// Batch-size scaling of the learning rate: linear or sqrt.
    #[arg(long, value_parser = parse_name::<LrScaling>)]
    pub lr_scaling: Option<LrScaling>,
    #[arg(long, allow_negative_numbers = true)]
    pub weight_decay: Option<f64>,
    #[arg(long, allow_negative_numbers = true)]
    pub momentum: Option<f64>,
    #[arg(long, value_name = "EPOCHS")]
    pub warmup_epochs: Option<usize>,
    /// Steps between two step lines of metrics.jsonl.
    #[arg(long, value_name = "N")]
    pub log_every_steps: Option<usize>,
    /// Skip the kNN monitor after each epoch.
    #[arg(long)]
    pub no_knn_monitor: bool,
    /// Neighbours of the kNN monitor.
    #[arg(long, value_name = "K")]
    pub knn_k: Option<usize>,
    #[command(flatten)]
    pub augment: AugmentArgs,
}

impl PretrainArgs {
    /// Builds the config from the file (or the defaults) and every given flag.
    pub fn config(&self) -> Result<PretrainConfig> {
        let mut config = match &self.config {
            Some(path) => PretrainConfig::from_toml_file(path)?,
            None => PretrainConfig::default(),
        };
        set(&mut config.data, self.data.data.clone());
        self.data.apply(&mut config.read);
        set(&mut config.split, self.split);
        set(&mut config.max_images, self.max_images.map(Some));
        set(&mut config.seed, self.seed);
        let train = &mut config.train;
        set(&mut train.epochs, self.epochs);
        set(&mut train.batch_size, self.batch_size);
        set(&mut train.max_steps, self.max_steps.map(Some));
        set(&mut train.log_every_steps, self.log_every_steps);
        train.knn_monitor &= !self.no_knn_monitor;
        set(&mut config.knn.k, self.knn_k);
        let encoder = &mut config.model.encoder;
        set(&mut encoder.arch, self.arch);
        set(&mut encoder.width_multiplier, self.width_multiplier);
        set(&mut encoder.stem, self.stem.map(Some));
        set(&mut encoder.conv_kernels, self.conv_kernels);
        encoder.zero_init_residual |= self.zero_init_residual;
        let head = &mut config.model.projection_head;
        set(&mut head.kind, self.projection_head);
        set(&mut head.num_layers, self.head_layers);
        set(&mut head.output_dim, self.projection_dim);
        self.apply_loss(&mut config.loss)?;
        let optimizer = &mut config.optimizer;
        set(&mut optimizer.kind, self.optimizer);
        set(&mut optimizer.base_lr, self.base_lr);
        set(&mut optimizer.lr_scaling, self.lr_scaling);
        set(&mut optimizer.weight_decay, self.weight_decay);
        set(&mut optimizer.momentum, self.momentum);
        set(&mut optimizer.warmup_epochs, self.warmup_epochs);
        self.augment.apply(&mut config.augment);
        Ok(config)
    }

    fn apply_loss(&self, loss: &mut LossConfig) -> Result<()> {
        if let Some(kind) = &self.loss {
            let text = format!("kind = \"{kind}\"");
            *loss = toml::from_str(&text).map_err(|_| {
                simclr::Error::config(
                    "loss",
                    format!(
                        "unknown loss '{kind}': expected nt_xent, nt_logistic or margin_triplet"
                    ),
                )
            })?;
        }
        if let Some(value) = self.temperature {
            match loss {
                LossConfig::NtXent { temperature } | LossConfig::NtLogistic { temperature } => {
                    *temperature = value;
                }
                LossConfig::MarginTriplet { .. } => {
                    return Err(simclr::Error::config(
                        "temperature",
                        "the margin triplet loss has no temperature; use its margin instead",
                    )
                    .into());
                }
            }
        }
        Ok(())
    }
}

/// Runs `simclr pretrain`; returns the process exit code.
pub fn run(args: &PretrainArgs, device_name: &str, stop: Arc<AtomicBool>) -> Result<u8> {
    let mut config = args.config()?;
    config.validate()?;
    let device = super::device::training_device(device_name)?;
    let splits = runs::open_data(&config.data, &config.read)?;
    let mut splits = splits;
    let spec = config.data.parse()?;
    let mut dataset = splits.take(config.split, &spec)?;
    if let Some(max_images) = config.max_images {
        dataset.truncate(max_images);
    }
    runs::resolve(&mut config, &dataset);
    let test = splits
        .test
        .take()
        .filter(|t| t.labels.is_some() && !t.is_empty());
    let monitor_data = runs::monitor_data(&config, &dataset, test);

    let text = config.to_toml()?;
    tracing::info!("resolved config:\n{text}");
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    simclr::atomic_file::write_atomic(&args.out.join("config.toml"), text.as_bytes())?;

    device.seed(config.seed);
    let model = config.model.init(&device)?;
    tracing::info!(
        "pretraining on {} images of '{}' ({} split), views {}x{}",
        dataset.len(),
        config.data,
        config.split,
        config.augment.output_size.unwrap_or(0),
        config.augment.output_size.unwrap_or(0),
    );
    let mut monitor = runs::knn_monitor(&config, monitor_data, &device);
    let report = train::pretrain(
        &config,
        model,
        Arc::new(dataset),
        &args.out,
        &device,
        &stop,
        &mut monitor,
    )?;
    let step = report.state.step;
    match report.outcome {
        Outcome::Finished => {
            let last = report.state.history.last();
            let knn = last
                .and_then(|p| p.knn_top1)
                .map_or(String::new(), |k| format!(" knn_top1={k:.4}"));
            println!(
                "finished epochs={} steps={step} loss={:.4}{knn} out={}",
                config.train.epochs,
                last.map_or(f64::NAN, |p| p.loss),
                args.out.display()
            );
            Ok(0)
        }
        Outcome::MaxSteps => {
            println!(
                "stopped at max_steps={step}; checkpoint in {}",
                args.out.display()
            );
            Ok(0)
        }
        Outcome::Interrupted => {
            eprintln!(
                "interrupted at step {step}; checkpoint saved; run the same command to resume"
            );
            Ok(130)
        }
    }
}
