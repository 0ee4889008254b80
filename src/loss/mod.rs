//! Contrastive losses.
