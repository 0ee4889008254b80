//! SimCLR: self-supervised contrastive learning of visual representations
//! (Chen et al. 2020, "A Simple Framework for Contrastive Learning of Visual
//! Representations"), on burn with the pure-Rust `flex` CPU backend by default.
//!
//! The data path runs from a dataset reader ([`data`]) through the two-view
//! augmentation pipeline ([`augment`]) to the encoder and projection head
//! ([`model`]), the contrastive loss ([`loss`]) and the optimizer ([`optim`]).
//! [`train`] joins them into a resumable pretraining loop and [`eval`] measures
//! the learned representation.

pub mod atomic_file;
pub mod augment;
pub mod data;
pub mod error;
pub mod eval;
pub mod loss;
pub mod model;
pub mod optim;
pub mod train;

pub use error::{Error, Result};
