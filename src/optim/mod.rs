//! Optimizers and learning-rate schedule.
