//! Contrastive losses over two views of a batch: NT-Xent (SimCLR's loss)
//! and the NT-Logistic and margin triplet losses it is compared with.

mod config;
mod nt_logistic;
mod nt_xent;
mod pairs;
mod triplet;

pub use config::{LossConfig, DEFAULT_MARGIN, DEFAULT_TEMPERATURE};
pub use nt_logistic::nt_logistic;
pub use nt_xent::{nt_xent, LossOutput, NtXentOutput};
pub use pairs::l2_normalize;
pub use triplet::margin_triplet;
