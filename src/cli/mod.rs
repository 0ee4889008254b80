//! The command-line interface: parse, resolve settings, run, exit code.

pub mod args;
pub mod augment;
pub mod device;
pub mod eval;
pub mod pretrain;
pub mod runs;

use clap::{Parser, Subcommand};

/// SimCLR self-supervised contrastive learning of visual representations.
#[derive(Parser, Debug)]
#[command(name = "simclr", version, about)]
pub struct Cli {
    /// Backend: flex (CPU, default), cuda or wgpu (with their cargo features).
    #[arg(long, global = true, default_value = "flex")]
    pub device: String,
    /// Log more: -v for debug, -vv for trace.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Log only warnings and errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Pretrain an encoder with SimCLR; resumes an existing run in --out.
    Pretrain(Box<pretrain::PretrainArgs>),
    /// Evaluate a pretrained encoder on frozen features.
    #[command(subcommand)]
    Eval(eval::EvalCommand),
    /// Fine-tune a pretrained encoder with a fraction of the labels.
    Finetune(eval::FinetuneArgs),
    /// Write the representation of every image to a file.
    Embed(eval::EmbedArgs),
    /// Write a PNG grid of images and their augmented views.
    Augment(augment::AugmentCommand),
}
