//! `simclr augment`: a PNG grid of source images and their augmented views.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use super::args::{AugmentArgs, DataArgs};
use super::runs;
use simclr::augment::{render_grid, SimclrAugment};
use simclr::data::{ReadOptions, SplitName};

#[derive(Args, Debug)]
pub struct AugmentCommand {
    #[command(flatten)]
    pub data: DataArgs,
    /// Output PNG file.
    #[arg(long, value_name = "FILE", default_value = "augment.png")]
    pub out: PathBuf,
    /// Source images, one per row.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub count: usize,
    /// Augmented views after each source image.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub views: usize,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Split the images come from: train, test or unlabeled.
    #[arg(long, default_value = "train", value_parser = super::args::parse_name::<SplitName>)]
    pub split: SplitName,
    #[command(flatten)]
    pub augment: AugmentArgs,
}

pub fn run(args: &AugmentCommand) -> Result<u8> {
    if args.count == 0 || args.views == 0 {
        return Err(simclr::Error::config(
            "count",
            format!(
                "--count and --views must be at least 1, got {} and {}",
                args.count, args.views
            ),
        )
        .into());
    }
    // The pretraining defaults, so the grid shows what `pretrain` trains on.
    let mut augment: SimclrAugment = simclr::train::PretrainConfig::default().augment;
    args.augment.apply(&mut augment);
    augment.validate()?;
    let mut read = ReadOptions::default();
    args.data.apply(&mut read);
    let data = args.data.data.clone().unwrap_or_else(|| "builtin".into());
    let mut splits = runs::open_data(&data, &read)?;
    let mut dataset = splits.take(args.split, &data.parse()?)?;
    dataset.truncate(args.count);
    let side = augment
        .output_size
        .unwrap_or_else(|| runs::default_side(&dataset));
    let pipeline = augment.pipeline(side)?;
    let grid = render_grid(&dataset.images, &pipeline, args.views, args.seed);
    let buffer = image::RgbImage::from_raw(grid.width as u32, grid.height as u32, grid.rgb)
        .context("grid buffer has the wrong size")?;
    buffer
        .save(&args.out)
        .map_err(|e| simclr::Error::data(&args.out, format!("cannot write PNG: {e}")))?;
    println!(
        "wrote {} ({} images x {} views, {side}x{side} pixels each)",
        args.out.display(),
        dataset.len(),
        args.views
    );
    Ok(0)
}
