//! `simclr eval knn|linear`, `simclr finetune` and `simclr embed`.

use std::path::PathBuf;

use anyhow::Result;
use burn::module::Module;
use clap::{Args, Subcommand};

use super::args::{set, DataArgs};
use super::runs::{self, LoadedRun};
use simclr::data::{Dataset, SplitName};
use simclr::eval::{
    extract_features, finetune, linear_eval, write_features, FinetuneConfig, LinearEvalConfig, TopK,
};

/// Flags every evaluation command shares.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// Run directory written by `simclr pretrain` (or its checkpoint folder).
    #[arg(long, value_name = "DIR")]
    pub checkpoint: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// Print one JSON object instead of the `top1= top5=` line.
    #[arg(long)]
    pub json: bool,
    /// Evaluate the run's architecture with its seeded random initialization
    /// instead of the checkpoint: the baseline for the learned weights.
    #[arg(long)]
    pub random_weights: bool,
}

#[derive(Subcommand, Debug)]
pub enum EvalCommand {
    /// Weighted kNN on frozen encoder features (cosine similarity, weights
    /// exp(similarity / temperature)).
    Knn(KnnArgs),
    /// Linear evaluation: a linear classifier trained on frozen features of
    /// the train split, scored on the test split.
    Linear(LinearArgs),
}

#[derive(Args, Debug)]
pub struct KnnArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Neighbours that vote.
    #[arg(long, default_value_t = 200)]
    pub k: usize,
    /// Temperature of the vote weights.
    #[arg(long, default_value_t = 0.1)]
    pub temperature: f64,
}

#[derive(Args, Debug)]
pub struct LinearArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Epochs of classifier training [default: 100].
    #[arg(long)]
    pub epochs: Option<usize>,
}

#[derive(Args, Debug)]
pub struct FinetuneArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Fraction of the train labels used, class-balanced and seeded.
    #[arg(long, value_name = "FRACTION", default_value_t = 0.1)]
    pub label_fraction: f64,
    /// Epochs of fine-tuning [default: 30].
    #[arg(long)]
    pub epochs: Option<usize>,
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Seed of the label subset and the augmentation.
    #[arg(long)]
    pub seed: Option<u64>,
}

#[derive(Args, Debug)]
pub struct EmbedArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Output file: `.safetensors` or `.npy` (labels then go to
    /// `<stem>.labels.npy`).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Split to embed: train, test or unlabeled.
    #[arg(long, default_value = "test", value_parser = super::args::parse_name::<SplitName>)]
    pub split: SplitName,
}

/// The run and the train and test splits of the evaluation data.
struct Inputs {
    run: LoadedRun,
    train: Dataset,
    test: Dataset,
}

fn load_inputs(args: &RunArgs, device_name: &str) -> Result<Inputs> {
    let device = super::device::device(device_name)?;
    let run = runs::load_run(&args.checkpoint, &device, args.random_weights)?;
    let mut read = run.config.read.clone();
    args.data.apply(&mut read);
    let data = args
        .data
        .data
        .clone()
        .unwrap_or_else(|| run.config.data.clone());
    let spec = data.parse()?;
    let mut splits = runs::open_data(&data, &read)?;
    let train = splits.take(SplitName::Train, &spec)?;
    let test = splits.take(SplitName::Test, &spec)?;
    Ok(Inputs { run, train, test })
}

fn num_classes(inputs: &Inputs) -> usize {
    inputs
        .train
        .num_classes()
        .max(inputs.test.num_classes())
        .unwrap_or(1)
}

fn print_topk(name: &str, accuracy: TopK, json: bool, extra: serde_json::Value) {
    if json {
        let mut object =
            serde_json::json!({"eval": name, "top1": accuracy.top1, "top5": accuracy.top5});
        if let (Some(map), serde_json::Value::Object(more)) = (object.as_object_mut(), extra) {
            map.extend(more);
        }
        println!("{object}");
    } else {
        println!("{name} top1={:.4} top5={:.4}", accuracy.top1, accuracy.top5);
    }
}

pub fn run_eval(command: &EvalCommand, device_name: &str) -> Result<u8> {
    match command {
        EvalCommand::Knn(args) => run_knn(args, device_name),
        EvalCommand::Linear(args) => run_linear(args, device_name),
    }
}

fn run_knn(args: &KnnArgs, device_name: &str) -> Result<u8> {
    let knn = simclr::eval::KnnConfig {
        k: args.k,
        temperature: args.temperature,
    };
    knn.validate()?;
    let mut inputs = load_inputs(&args.run, device_name)?;
    inputs.run.config.knn = knn;
    let device = super::device::device(device_name)?;
    let run = &inputs.run;
    let accuracy = runs::knn_eval(
        &run.model,
        &inputs.train,
        &inputs.test,
        &run.config,
        &device,
    )?;
    let extra = serde_json::json!({"k": args.k, "temperature": args.temperature});
    print_topk("knn", accuracy, args.run.json, extra);
    Ok(0)
}

fn run_linear(args: &LinearArgs, device_name: &str) -> Result<u8> {
    let mut config = LinearEvalConfig::default();
    set(&mut config.epochs, args.epochs);
    config.validate()?;
    let inputs = load_inputs(&args.run, device_name)?;
    let device = super::device::device(device_name)?;
    let run = &inputs.run;
    let transform = runs::eval_transform(&run.config);
    let layer = run.config.model.projection_head.eval_layer;
    let batch = run.config.train.eval_batch_size;
    let train = extract_features(&run.model, &inputs.train, &transform, layer, batch, &device)?;
    let test = extract_features(&run.model, &inputs.test, &transform, layer, batch, &device)?;
    let training_device = device.autodiff();
    let accuracy = linear_eval(
        &train,
        &test,
        num_classes(&inputs),
        &config,
        &training_device,
    )?;
    print_topk(
        "linear",
        accuracy,
        args.run.json,
        serde_json::json!({"epochs": config.epochs}),
    );
    Ok(0)
}

pub fn run_finetune(args: &FinetuneArgs, device_name: &str) -> Result<u8> {
    let mut config = FinetuneConfig {
        label_fraction: args.label_fraction,
        ..FinetuneConfig::default()
    };
    set(&mut config.epochs, args.epochs);
    set(&mut config.batch_size, args.batch_size);
    set(&mut config.seed, args.seed);
    config.validate()?;
    let inputs = load_inputs(&args.run, device_name)?;
    let device = super::device::training_device(device_name)?;
    let run = inputs.run;
    let transform = runs::eval_transform(&run.config);
    let layer = run.config.model.projection_head.eval_layer;
    let model = run.model.to_device(&device);
    let (_, accuracy) = finetune(
        model,
        &inputs.train,
        &inputs.test,
        &config,
        layer,
        &transform,
        &device,
    )?;
    let extra =
        serde_json::json!({"label_fraction": config.label_fraction, "epochs": config.epochs});
    print_topk("finetune", accuracy, args.run.json, extra);
    Ok(0)
}

pub fn run_embed(args: &EmbedArgs, device_name: &str) -> Result<u8> {
    simclr::eval::embed::feature_format(&args.out)?;
    let device = super::device::device(device_name)?;
    let run = runs::load_run(&args.run.checkpoint, &device, args.run.random_weights)?;
    let mut read = run.config.read.clone();
    args.run.data.apply(&mut read);
    let data = args
        .run
        .data
        .data
        .clone()
        .unwrap_or_else(|| run.config.data.clone());
    let mut splits = runs::open_data(&data, &read)?;
    let dataset = splits.take(args.split, &data.parse()?)?;
    let transform = runs::eval_transform(&run.config);
    let layer = run.config.model.projection_head.eval_layer;
    let batch = run.config.train.eval_batch_size;
    let features = extract_features(&run.model, &dataset, &transform, layer, batch, &device)?;
    write_features(&args.out, &features)?;
    if args.run.json {
        let object = serde_json::json!({"out": args.out, "rows": features.rows, "dim": features.dim,
            "labels": features.labels.is_some()});
        println!("{object}");
    } else {
        println!(
            "wrote {} features of dim {} to {}",
            features.rows,
            features.dim,
            args.out.display()
        );
    }
    Ok(0)
}
