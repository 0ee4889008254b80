//! Learning-rate schedule: batch-size scaling, linear warmup, cosine decay.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Rule that scales the peak learning rate with the batch size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LrScaling {
    /// `base_lr * batch_size / 256` (SimCLR's default, with base_lr 0.3).
    #[default]
    Linear,
    /// `base_lr * sqrt(batch_size)` (SimCLR's choice for small batches,
    /// with base_lr 0.075).
    Sqrt,
}

impl LrScaling {
    /// Peak learning rate for the given base rate and batch size.
    pub fn peak_lr(self, base_lr: f64, batch_size: usize) -> f64 {
        match self {
            LrScaling::Linear => base_lr * batch_size as f64 / 256.0,
            LrScaling::Sqrt => base_lr * (batch_size as f64).sqrt(),
        }
    }
}

/// Per-step learning rate: linear warmup from 0 to the peak over
/// `warmup_steps`, then cosine decay to 0 at `total_steps`.
#[derive(Debug, Clone, PartialEq)]
pub struct LrSchedule {
    pub peak_lr: f64,
    pub total_steps: usize,
    pub warmup_steps: usize,
}

impl LrSchedule {
    /// Builds the schedule.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`] if `base_lr` is negative or not finite,
    /// `batch_size` or `total_steps` is 0, or `warmup_steps > total_steps`.
    pub fn new(
        base_lr: f64,
        batch_size: usize,
        scaling: LrScaling,
        total_steps: usize,
        warmup_steps: usize,
    ) -> Result<Self> {
        if !base_lr.is_finite() || base_lr < 0.0 {
            let message = format!("must be finite and non-negative, got {base_lr}");
            return Err(Error::config("base_lr", message));
        }
        if batch_size == 0 {
            return Err(Error::config("batch_size", "must be at least 1, got 0"));
        }
        if total_steps == 0 {
            return Err(Error::config("total_steps", "must be at least 1, got 0"));
        }
        if warmup_steps > total_steps {
            let message = format!("is {warmup_steps}, more than total_steps {total_steps}");
            return Err(Error::config("warmup_steps", message));
        }
        Ok(Self {
            peak_lr: scaling.peak_lr(base_lr, batch_size),
            total_steps,
            warmup_steps,
        })
    }

    /// Learning rate at step `step` (0-based). Steps past `total_steps`
    /// get 0.
    pub fn lr_at(&self, step: usize) -> f64 {
        if step < self.warmup_steps {
            return self.peak_lr * step as f64 / self.warmup_steps as f64;
        }
        let decay_steps = self.total_steps - self.warmup_steps;
        let progress = if decay_steps == 0 {
            1.0
        } else {
            ((step - self.warmup_steps) as f64 / decay_steps as f64).min(1.0)
        };
        self.peak_lr * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
    }
}
