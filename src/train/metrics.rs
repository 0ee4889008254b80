//! `metrics.jsonl`: one JSON object per logged step and per epoch.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::{Error, Result};

/// One logged optimizer step.
#[derive(Clone, Debug, Serialize)]
pub struct StepRecord {
    pub kind: &'static str,
    pub epoch: usize,
    /// Optimizer steps before this one, counted from 0 over the whole run.
    pub step: usize,
    pub loss: f64,
    /// Fraction of the 2N anchors whose most similar view is their positive.
    pub positive_top1: f64,
    pub lr: f64,
    pub images_per_s: f64,
    /// Seconds the step waited for its batch.
    pub data_wait_s: f64,
}

/// The summary of one finished epoch.
#[derive(Clone, Debug, Serialize)]
pub struct EpochRecord {
    pub kind: &'static str,
    pub epoch: usize,
    /// Optimizer steps taken when the epoch ended.
    pub step: usize,
    /// Mean loss over the epoch's steps.
    pub loss: f64,
    pub positive_top1: f64,
    /// Learning rate of the epoch's last step.
    pub lr: f64,
    pub images_per_s: f64,
    pub data_wait_s: f64,
    pub knn_top1: Option<f64>,
    pub knn_top5: Option<f64>,
}

/// Appends records to `metrics.jsonl`, flushing after each line.
pub struct MetricsWriter {
    file: File,
    path: PathBuf,
}

impl MetricsWriter {
    /// Opens the file for appending, so a resumed run continues it.
    pub fn open(path: &Path) -> Result<Self> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        Ok(MetricsWriter {
            file,
            path: path.to_path_buf(),
        })
    }

    pub fn write<T: Serialize>(&mut self, record: &T) -> Result<()> {
        let mut line = serde_json::to_vec(record)
            .map_err(|e| Error::Runtime(format!("cannot serialize metrics: {e}")))?;
        line.push(b'\n');
        self.file
            .write_all(&line)
            .and_then(|()| self.file.flush())
            .map_err(|e| Error::io(&self.path, e))
    }
}

/// Drops the lines of steps at or after `step`, which a run that crashed
/// after logging them but before its checkpoint wrote, so a resumed run
/// does not log them twice.
pub fn truncate_after(path: &Path, step: usize) -> Result<()> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(());
    };
    let kept: Vec<&str> = text
        .lines()
        .filter(|line| {
            let value: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
            let logged = value.get("step").and_then(|s| s.as_u64()).unwrap_or(0) as usize;
            match value.get("kind").and_then(|k| k.as_str()) {
                Some("epoch") => logged <= step,
                _ => logged < step,
            }
        })
        .collect();
    let mut out = kept.join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    crate::atomic_file::write_atomic(path, out.as_bytes())
}
