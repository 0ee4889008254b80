//! Seconds per SimCLR training step on the flex CPU backend, with the
//! same workloads as `bench/pytorch_step.py`.
//!
//! Run with `cargo bench --bench train_step -- WORKLOAD [--kernels KIND]`,
//! one workload per process so that the peak memory is the workload's own.
//! WORKLOAD is one of `r18-cifar`, `r18w4-cifar`, `r50-imagenet96` and
//! `pipeline`. KIND is `burn` (burn's convolution, the default) or
//! `custom` (the kernels of `simclr::model::kernels`). Prints one line,
//! `workload=<name> impl=<burn|custom> seconds_per_step=<s>
//! views_per_s=<rate> peak_rss_mib=<m> gflop_per_step=<g> steps=<n>`,
//! which `bench/train.sh` reads. `TRAIN_BENCH_STEPS` sets the timed steps
//! (default 5) and `TRAIN_BENCH_WARMUP` the untimed ones before them
//! (default 1); the pipeline workload times one whole epoch instead.

use std::sync::Arc;
use std::time::Instant;

use burn::optim::GradientsParams;
use burn::tensor::{Device, Distribution, Tensor};
use simclr::augment::SimclrAugment;
use simclr::data::{self, DataSpec, LoaderConfig, ReadOptions, TwoViewLoader};
use simclr::loss::LossConfig;
use simclr::model::{
    kernels::ConvKernels, Arch, BlockKind, EncoderConfig, ProjectionHeadConfig, SimclrModel,
    SimclrModelConfig, Stem,
};
use simclr::optim::{OptimizerConfig, OptimizerKind, SimclrOptimizer};

/// Color jitter strength of the pipeline workload, as in the PyTorch side.
const PIPELINE_COLOR_STRENGTH: f64 = 0.5;

struct Workload {
    name: &'static str,
    arch: Arch,
    width_multiplier: f64,
    stem: Stem,
    side: usize,
    /// Images per batch; each step trains on twice as many views.
    batch: usize,
}

const WORKLOADS: [Workload; 4] = [
    Workload {
        name: "r18-cifar",
        arch: Arch::Resnet18,
        width_multiplier: 1.0,
        stem: Stem::Cifar,
        side: 32,
        batch: 128,
    },
    Workload {
        name: "r18w4-cifar",
        arch: Arch::Resnet18,
        width_multiplier: 0.25,
        stem: Stem::Cifar,
        side: 32,
        batch: 128,
    },
    Workload {
        name: "r50-imagenet96",
        arch: Arch::Resnet50,
        width_multiplier: 1.0,
        stem: Stem::Imagenet,
        side: 96,
        batch: 32,
    },
    Workload {
        name: "pipeline",
        arch: Arch::Resnet18,
        width_multiplier: 0.25,
        stem: Stem::Cifar,
        side: 28,
        batch: 256,
    },
];

/// Runs one SimCLR step: forward both views, NT-Xent, backward and an
/// optimizer step.
fn train_step(
    model: SimclrModel,
    optimizer: &mut SimclrOptimizer,
    loss: &LossConfig,
    views: Tensor<4>,
    lr: f64,
) -> simclr::Result<(SimclrModel, f32)> {
    let n = views.dims()[0] / 2;
    let (_, z) = model.forward(views);
    let z_a = z.clone().narrow(0, 0, n);
    let z_b = z.narrow(0, n, n);
    let out = loss.compute(z_a, z_b)?;
    let value = out.loss.clone().into_scalar::<f32>();
    let grads = out.loss.backward();
    let grads = GradientsParams::from_grads(grads, &model);
    Ok((optimizer.step(lr, model, grads), value))
}

/// Counts the floating-point operations of one training step: forward
/// convolutions (`2 * N * Cout * Cin * k * k * Hout * Wout` each) and linear
/// layers, times 3 for the forward pass plus a backward pass of about twice
/// its cost. BatchNorm, ReLU, the loss and the optimizer are left out.
fn training_step_flops(config: &SimclrModelConfig, side: usize, views: usize) -> f64 {
    let encoder = &config.encoder;
    let mut convs: Vec<(usize, usize, usize, usize)> = Vec::new();
    let conv = |convs: &mut Vec<_>, side: &mut usize, c_in, c_out, k: usize, stride: usize| {
        *side = (*side + 2 * (k / 2) - k) / stride + 1;
        convs.push((c_in, c_out, k, *side));
    };
    let base = encoder.base_width();
    let mut side = side;
    match encoder.resolve_stem(side) {
        Stem::Imagenet => {
            conv(&mut convs, &mut side, 3, base, 7, 2);
            side = (side + 2 - 3) / 2 + 1;
        }
        Stem::Cifar => conv(&mut convs, &mut side, 3, base, 3, 1),
    }
    let kind = encoder.arch.block_kind();
    let mut in_channels = base;
    for (stage, &blocks) in encoder.arch.blocks_per_stage().iter().enumerate() {
        let width = base << stage;
        let out_channels = width * kind.expansion();
        for index in 0..blocks {
            let stride = if stage > 0 && index == 0 { 2 } else { 1 };
            let input_side = side;
            match kind {
                BlockKind::Basic => {
                    conv(&mut convs, &mut side, in_channels, width, 3, stride);
                    conv(&mut convs, &mut side, width, width, 3, 1);
                }
                BlockKind::Bottleneck => {
                    conv(&mut convs, &mut side, in_channels, width, 1, 1);
                    conv(&mut convs, &mut side, width, width, 3, stride);
                    conv(&mut convs, &mut side, width, out_channels, 1, 1);
                }
            }
            if stride != 1 || in_channels != out_channels {
                let mut shortcut_side = input_side;
                conv(
                    &mut convs,
                    &mut shortcut_side,
                    in_channels,
                    out_channels,
                    1,
                    stride,
                );
            }
            in_channels = out_channels;
        }
    }
    let conv_flops: usize = convs
        .iter()
        .map(|&(c_in, c_out, k, side)| 2 * views * c_out * c_in * k * k * side * side)
        .sum();
    let dim = encoder.representation_dim();
    let output_dim = config.projection_head.output_dim;
    let linear_flops = 2 * views * (dim * dim + dim * output_dim);
    3.0 * (conv_flops + linear_flops) as f64
}

/// Peak resident set size of this process in MiB, from `/proc/self/status`.
fn peak_rss_mib() -> simclr::Result<f64> {
    let path = "/proc/self/status";
    let status = std::fs::read_to_string(path).map_err(|e| simclr::Error::io(path, e))?;
    let line = status
        .lines()
        .find(|line| line.starts_with("VmHWM:"))
        .ok_or_else(|| simclr::Error::Runtime("VmHWM missing in /proc/self/status".into()))?;
    let kib: f64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|value| value.parse().ok())
        .ok_or_else(|| simclr::Error::Runtime(format!("invalid VmHWM line: {line}")))?;
    Ok(kib / 1024.0)
}

fn env_count(name: &str, default: usize) -> simclr::Result<usize> {
    match std::env::var(name) {
        Ok(value) => value
            .parse()
            .map_err(|_| simclr::Error::config(name, format!("must be a count, got {value}"))),
        Err(_) => Ok(default),
    }
}

fn parse_args() -> simclr::Result<(&'static Workload, ConvKernels)> {
    // cargo bench passes `--bench` to harness-free benches; skip it.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| arg != "--bench")
        .collect();
    let names: Vec<&str> = WORKLOADS.iter().map(|w| w.name).collect();
    let usage = || {
        simclr::Error::config(
            "arguments",
            format!(
                "expected WORKLOAD [--kernels burn|custom], WORKLOAD one of {}; got {args:?}",
                names.join(", ")
            ),
        )
    };
    let (name, kernels) = match args.as_slice() {
        [name] => (name, ConvKernels::Burn),
        [name, flag, kind] if flag == "--kernels" && kind == "burn" => (name, ConvKernels::Burn),
        [name, flag, kind] if flag == "--kernels" && kind == "custom" => {
            (name, ConvKernels::Custom)
        }
        _ => return Err(usage()),
    };
    let workload = WORKLOADS
        .iter()
        .find(|w| w.name == name)
        .ok_or_else(usage)?;
    Ok((workload, kernels))
}

fn main() -> simclr::Result<()> {
    let (workload, kernels) = parse_args()?;
    let device = Device::flex().autodiff();
    device.seed(0);

    let mut encoder = EncoderConfig::new(workload.arch, workload.stem);
    encoder.width_multiplier = workload.width_multiplier;
    encoder.conv_kernels = kernels;
    let config = SimclrModelConfig {
        encoder,
        projection_head: ProjectionHeadConfig::default(),
    };
    let gflop = training_step_flops(&config, workload.side, 2 * workload.batch) / 1e9;
    let mut model = config.init(&device)?;
    let optimizer_config = OptimizerConfig {
        kind: OptimizerKind::Lars,
        ..OptimizerConfig::default()
    };
    let mut optimizer = optimizer_config.init()?;
    let lr = optimizer_config.base_lr * workload.batch as f64 / 256.0;
    let loss = LossConfig::default();

    let (seconds_per_step, steps) = if workload.name == "pipeline" {
        let train = data::open(&DataSpec::Builtin, &ReadOptions::default())?
            .train
            .ok_or_else(|| simclr::Error::Runtime("the builtin data has no train split".into()))?;
        let augment = SimclrAugment {
            color_strength: PIPELINE_COLOR_STRENGTH,
            ..SimclrAugment::default()
        };
        let loader_config = LoaderConfig {
            batch_size: workload.batch,
            ..LoaderConfig::default()
        };
        let pipeline = Arc::new(augment.pipeline(workload.side)?);
        let loader = TwoViewLoader::new(Arc::new(train), pipeline, loader_config, 0)?;
        let start = Instant::now();
        let mut steps = 0;
        for batch in loader.epoch(0, 0) {
            let (next, _) = train_step(model, &mut optimizer, &loss, batch.to_tensor(&device), lr)?;
            model = next;
            steps += 1;
        }
        (start.elapsed().as_secs_f64() / steps as f64, steps)
    } else {
        let warmup = env_count("TRAIN_BENCH_WARMUP", 1)?;
        let steps = env_count("TRAIN_BENCH_STEPS", 5)?;
        let views = Tensor::<4>::random(
            [2 * workload.batch, 3, workload.side, workload.side],
            Distribution::Uniform(0.0, 1.0),
            &device,
        );
        let mut times = Vec::with_capacity(steps);
        for step in 0..warmup + steps {
            let start = Instant::now();
            let (next, value) = train_step(model, &mut optimizer, &loss, views.clone(), lr)?;
            let elapsed = start.elapsed().as_secs_f64();
            model = next;
            if !value.is_finite() {
                return Err(simclr::Error::Runtime(format!("step {step}: loss {value}")));
            }
            if step >= warmup {
                times.push(elapsed);
            }
        }
        times.sort_by(f64::total_cmp);
        (times[times.len() / 2], steps)
    };

    let kind = match kernels {
        ConvKernels::Burn => "burn",
        ConvKernels::Custom => "custom",
    };
    println!(
        "workload={} impl={kind} seconds_per_step={seconds_per_step:.4} views_per_s={:.1} \
         peak_rss_mib={:.0} gflop_per_step={gflop:.1} steps={steps}",
        workload.name,
        2.0 * workload.batch as f64 / seconds_per_step,
        peak_rss_mib()?,
    );
    Ok(())
}
