//! Encoder f(.) and projection head g(.) of SimCLR.

mod block;
mod config;
pub mod kernels;
mod projection;
mod resnet;
mod simclr;
mod weights;

pub use block::{Downsample, ResidualBlock, BATCH_NORM_EPSILON, BATCH_NORM_MOMENTUM};
pub use config::{Arch, BlockKind, EncoderConfig, Stem, CIFAR_STEM_MAX_IMAGE_SIZE_PX};
pub use projection::{ProjectionHead, ProjectionHeadConfig, ProjectionKind, ProjectionLayer};
pub use resnet::Encoder;
pub use simclr::{SimclrModel, SimclrModelConfig};
pub use weights::{
    encoder_state_dict, load_encoder_safetensors, save_encoder_safetensors, StateDict,
};
