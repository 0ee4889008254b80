//! The pretraining loop.
//!
//! [`pretrain`] resumes from the run directory's checkpoint when there is
//! one, trains epoch by epoch on two-view batches, logs to `metrics.jsonl`,
//! and checkpoints after every epoch and whenever it stops early. The
//! learning rate of step `t` is the schedule's value at `t`, whether or not
//! the run was interrupted before it. Views derive from (seed, epoch, image
//! index). So a resumed run trains on the same data with the same learning
//! rates as an uninterrupted one.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use burn::tensor::Device;
use indicatif::{ProgressBar, ProgressStyle};

use super::checkpoint::{self, Checkpoint, EpochSums, TrainState};
use super::config::PretrainConfig;
use super::metrics::{self, EpochRecord, MetricsWriter, StepRecord};
use super::plot::{self, EpochPoint};
use super::step::{train_step, StepOutput};
use crate::data::{Dataset, LoaderConfig, TwoViewLoader};
use crate::eval::TopK;
use crate::model::{save_encoder_safetensors, SimclrModel};
use crate::optim::{LrSchedule, SimclrOptimizer};
use crate::{Error, Result};

/// The reason a run returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every epoch is done.
    Finished,
    /// The run reached `train.max_steps`.
    MaxSteps,
    /// The stop flag was set, for example by Ctrl-C.
    Interrupted,
}

/// The result of [`pretrain`].
pub struct PretrainReport {
    pub outcome: Outcome,
    pub state: TrainState,
    pub model: SimclrModel,
}

/// Evaluates the model after an epoch; `None` when there is nothing to
/// evaluate on.
pub type Monitor<'a> = dyn FnMut(&SimclrModel) -> Result<Option<TopK>> + 'a;

/// Throughput of the current epoch in this process.
#[derive(Default)]
struct Throughput {
    images: usize,
    seconds: f64,
    data_wait_s: f64,
    last_lr: f64,
}

/// Everything the loop carries between steps.
struct Run<'a> {
    config: &'a PretrainConfig,
    run_dir: PathBuf,
    checkpoint: Checkpoint,
    metrics: MetricsWriter,
    schedule: LrSchedule,
    optimizer: SimclrOptimizer,
    state: TrainState,
    steps_per_epoch: usize,
    throughput: Throughput,
}

/// Pretrains `model` on `dataset` with the resolved `config`, in `run_dir`.
///
/// `config` must be resolved: `augment.output_size` and the encoder stem
/// set. The run stops after its last epoch, at `train.max_steps`, or when
/// `stop` becomes true; each of these writes a checkpoint first. A
/// non-finite loss stops it with an error and keeps the last checkpoint.
pub fn pretrain(
    config: &PretrainConfig,
    model: SimclrModel,
    dataset: Arc<Dataset>,
    run_dir: &Path,
    device: &Device,
    stop: &AtomicBool,
    monitor: &mut Monitor,
) -> Result<PretrainReport> {
    let side = config.augment.output_size.ok_or_else(|| {
        Error::config("augment.output_size", "must be resolved before pretraining")
    })?;
    let pipeline = Arc::new(config.augment.pipeline(side)?);
    let loader_config = LoaderConfig {
        batch_size: config.train.batch_size,
        drop_last: true,
        prefetch_batches: config.train.prefetch_batches,
    };
    let loader = TwoViewLoader::new(dataset, pipeline, loader_config, config.seed)?;
    let steps_per_epoch = loader.batches_per_epoch();
    let total_steps = steps_per_epoch * config.train.epochs;
    let schedule =
        config
            .optimizer
            .schedule(config.train.batch_size, steps_per_epoch, total_steps)?;

    let (mut run, mut model) = Run::start(config, model, run_dir, schedule, steps_per_epoch)?;
    if run.reached_max_steps() {
        return Ok(run.finish(Outcome::MaxSteps, model));
    }
    while run.state.epoch < config.train.epochs {
        let (next, outcome) = run.train_epoch(model, &loader, device, stop)?;
        model = next;
        if let Some(outcome) = outcome {
            run.save(&model)?;
            return Ok(run.finish(outcome, model));
        }
        let knn = monitor(&model)?;
        run.end_epoch(knn)?;
        run.save(&model)?;
    }
    Ok(run.finish(Outcome::Finished, model))
}

impl<'a> Run<'a> {
    /// Opens the run directory and resumes from its checkpoint, if any.
    fn start(
        config: &'a PretrainConfig,
        mut model: SimclrModel,
        run_dir: &Path,
        schedule: LrSchedule,
        steps_per_epoch: usize,
    ) -> Result<(Self, SimclrModel)> {
        std::fs::create_dir_all(run_dir).map_err(|e| Error::io(run_dir, e))?;
        let checkpoint = Checkpoint::new(run_dir);
        let metrics_path = run_dir.join("metrics.jsonl");
        let mut optimizer = config.optimizer.init()?;
        let mut state = TrainState::new(config.clone());
        if let Some((dir, saved)) = checkpoint.load_state()? {
            check_resumable(config, &saved, run_dir)?;
            model = checkpoint::load_model(&dir, model)?;
            optimizer = checkpoint::load_optimizer(&dir, optimizer)?;
            metrics::truncate_after(&metrics_path, saved.step)?;
            tracing::info!(
                "resuming from {} at step {} (epoch {}, batch {})",
                dir.display(),
                saved.step,
                saved.epoch,
                saved.batch_in_epoch
            );
            state = TrainState {
                config: config.clone(),
                ..saved
            };
        } else {
            std::fs::remove_file(&metrics_path).ok();
        }
        let run = Run {
            config,
            run_dir: run_dir.to_path_buf(),
            checkpoint,
            metrics: MetricsWriter::open(&metrics_path)?,
            schedule,
            optimizer,
            state,
            steps_per_epoch,
            throughput: Throughput::default(),
        };
        Ok((run, model))
    }

    fn reached_max_steps(&self) -> bool {
        let max_steps = self.config.train.max_steps;
        max_steps.is_some_and(|max| self.state.step >= max)
    }

    /// Trains the rest of the current epoch; returns an outcome when the run
    /// must stop before the epoch ends.
    fn train_epoch(
        &mut self,
        mut model: SimclrModel,
        loader: &TwoViewLoader,
        device: &Device,
        stop: &AtomicBool,
    ) -> Result<(SimclrModel, Option<Outcome>)> {
        let epoch = self.state.epoch;
        let progress = progress_bar(self.steps_per_epoch, self.state.batch_in_epoch, epoch);
        let mut batches = loader.epoch(epoch as u64, self.state.batch_in_epoch);
        self.throughput = Throughput::default();
        let mut started = Instant::now();
        loop {
            let wait_before = batches.wait_time();
            let Some(batch) = batches.next() else { break };
            let data_wait_s = (batches.wait_time() - wait_before).as_secs_f64();
            let lr = self.schedule.lr_at(self.state.step);
            let views = batch.to_tensor(device);
            let (next, output) =
                train_step(model, &mut self.optimizer, &self.config.loss, views, lr)?;
            model = next;
            if !output.loss.is_finite() {
                progress.abandon();
                return Err(self.non_finite(output.loss));
            }
            let seconds = started.elapsed().as_secs_f64();
            started = Instant::now();
            let images_per_s = batch.batch_size as f64 / seconds.max(1e-9);
            self.record_step(output, lr, batch.batch_size, seconds, data_wait_s)?;
            progress.inc(1);
            progress.set_message(format!(
                "loss {:.4} lr {lr:.4} {images_per_s:.0} img/s",
                output.loss
            ));
            if self.reached_max_steps() {
                progress.abandon();
                return Ok((model, Some(Outcome::MaxSteps)));
            }
            if stop.load(Ordering::SeqCst) {
                progress.abandon();
                return Ok((model, Some(Outcome::Interrupted)));
            }
        }
        progress.finish_and_clear();
        Ok((model, None))
    }

    /// Advances the state by one step and logs it every `log_every_steps`.
    fn record_step(
        &mut self,
        output: StepOutput,
        lr: f64,
        images: usize,
        seconds: f64,
        data_wait_s: f64,
    ) -> Result<()> {
        let step = self.state.step;
        let sums = &mut self.state.epoch_sums;
        sums.loss += output.loss;
        sums.positive_top1 += output.positive_top1;
        sums.steps += 1;
        self.state.step += 1;
        self.state.batch_in_epoch += 1;
        let throughput = &mut self.throughput;
        throughput.images += images;
        throughput.seconds += seconds;
        throughput.data_wait_s += data_wait_s;
        throughput.last_lr = lr;
        if step % self.config.train.log_every_steps != 0 {
            return Ok(());
        }
        self.metrics.write(&StepRecord {
            kind: "step",
            epoch: self.state.epoch,
            step,
            loss: output.loss,
            positive_top1: output.positive_top1,
            lr,
            images_per_s: images as f64 / seconds.max(1e-9),
            data_wait_s,
        })
    }

    /// Logs the finished epoch and moves to the next one.
    fn end_epoch(&mut self, knn: Option<TopK>) -> Result<()> {
        let sums = std::mem::take(&mut self.state.epoch_sums);
        let steps = sums.steps.max(1) as f64;
        let throughput = &self.throughput;
        let record = EpochRecord {
            kind: "epoch",
            epoch: self.state.epoch,
            step: self.state.step,
            loss: sums.loss / steps,
            positive_top1: sums.positive_top1 / steps,
            lr: throughput.last_lr,
            images_per_s: throughput.images as f64 / throughput.seconds.max(1e-9),
            data_wait_s: throughput.data_wait_s,
            knn_top1: knn.map(|k| k.top1),
            knn_top5: knn.map(|k| k.top5),
        };
        self.metrics.write(&record)?;
        let knn_text = knn.map_or(String::new(), |k| {
            format!(", kNN top-1 {:.4} top-5 {:.4}", k.top1, k.top5)
        });
        tracing::info!(
            "epoch {}: loss {:.4}, positive top-1 {:.4}, {:.0} img/s, data wait {:.1} s{knn_text}",
            record.epoch,
            record.loss,
            record.positive_top1,
            record.images_per_s,
            record.data_wait_s
        );
        self.state.history.push(EpochPoint {
            epoch: record.epoch,
            loss: record.loss,
            knn_top1: record.knn_top1,
        });
        self.state.epoch += 1;
        self.state.batch_in_epoch = 0;
        self.state.epoch_sums = EpochSums::default();
        Ok(())
    }

    /// Writes the checkpoint, the encoder weights and the loss plot.
    fn save(&self, model: &SimclrModel) -> Result<()> {
        self.checkpoint.save(model, &self.optimizer, &self.state)?;
        let encoder_path = self.run_dir.join("encoder.safetensors");
        save_encoder_safetensors(&model.encoder, &encoder_path)?;
        if !self.state.history.is_empty() {
            plot::write_loss_plot(&self.run_dir.join("loss.png"), &self.state.history)?;
        }
        Ok(())
    }

    fn non_finite(&self, loss: f64) -> Error {
        let kept = self
            .checkpoint
            .existing()
            .map_or("no checkpoint was written yet".to_string(), |dir| {
                format!("the last good checkpoint is kept in {}", dir.display())
            });
        Error::Runtime(format!(
            "non-finite loss {loss} at step {}; stopping, and {kept}",
            self.state.step
        ))
    }

    fn finish(self, outcome: Outcome, model: SimclrModel) -> PretrainReport {
        PretrainReport {
            outcome,
            state: self.state,
            model,
        }
    }
}

/// Rejects a checkpoint whose model or data differ from this run's.
fn check_resumable(config: &PretrainConfig, saved: &TrainState, run_dir: &Path) -> Result<()> {
    let Some((field, ours, theirs)) = config.resume_mismatch(&saved.config) else {
        return Ok(());
    };
    Err(Error::config(
        field.clone(),
        format!(
            "the checkpoint in {} was trained with {field} = {theirs}, this run has {ours}; \
             use another --out or the checkpoint's settings",
            run_dir.display()
        ),
    ))
}

fn progress_bar(steps: usize, done: usize, epoch: usize) -> ProgressBar {
    let progress = ProgressBar::new(steps as u64);
    let style = ProgressStyle::with_template(
        "epoch {prefix} [{elapsed_precise}] {bar:30} {pos}/{len} {msg} (eta {eta})",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    progress.set_style(style);
    progress.set_prefix(epoch.to_string());
    progress.set_position(done as u64);
    progress
}
