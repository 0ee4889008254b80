//! Optimizers and learning-rate schedule.
mod config;
mod lars;
mod rank_masked;
mod schedule;
pub use config::{OptimizerConfig, OptimizerKind, SimclrOptimizer};
pub use lars::{is_excluded_rank, Lars, LarsState, DEFAULT_EETA};
pub use rank_masked::RankMasked;
pub use schedule::{LrScaling, LrSchedule};
