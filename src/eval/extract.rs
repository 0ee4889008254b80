//! Deterministic evaluation views and feature extraction with a frozen
//! model.

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};
use rayon::prelude::*;

use super::features::Features;
use super::progress::progress_bar;
use crate::augment::{normalize, resized_crop_rgb8, CropBox, FloatImage, SimclrAugment};
use crate::data::{Dataset, Image};
use crate::model::SimclrModel;
use crate::{Error, Result};

/// The view every evaluation image gets: the centered square crop whose
/// side is the shorter image side, resized to `side` pixels with
/// antialiased bilinear interpolation, then optionally normalized.
#[derive(Clone, Debug, PartialEq)]
pub struct EvalTransform {
    /// Side of the square output in pixels.
    pub side: usize,
    /// Per-channel `(mean, std)` applied as `(value - mean) / std`, or
    /// `None` to keep values in `[0, 1]`.
    pub normalize: Option<([f32; 3], [f32; 3])>,
}

impl EvalTransform {
    /// Builds the transform that matches a pretraining augmentation: its
    /// output side (or `source_side` when unset) and its normalization.
    pub fn from_augment(augment: &SimclrAugment, source_side: usize) -> Self {
        EvalTransform {
            side: augment.output_size.unwrap_or(source_side),
            normalize: augment
                .normalize
                .then_some((augment.normalize_mean, augment.normalize_std)),
        }
    }

    /// Rejects a side of 0 and a standard deviation that is not finite and
    /// positive.
    pub fn validate(&self) -> Result<()> {
        if self.side == 0 {
            return Err(Error::config("eval.side", "must be at least 1, got 0"));
        }
        if let Some((_, std)) = self.normalize {
            if std.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
                return Err(Error::config(
                    "eval.normalize_std",
                    format!("every value must be finite and positive, got {std:?}"),
                ));
            }
        }
        Ok(())
    }
}

/// Builds the evaluation view of one image.
///
/// # Shapes
/// Returns `[3, transform.side, transform.side]`.
///
/// # Panics
/// If the image has a zero side or `transform.side` is 0.
pub fn eval_view(image: &Image, transform: &EvalTransform) -> FloatImage {
    let crop_side = image.height.min(image.width);
    let crop = CropBox {
        top: (image.height - crop_side) / 2,
        left: (image.width - crop_side) / 2,
        height: crop_side,
        width: crop_side,
    };
    let mut view = resized_crop_rgb8(image, crop, transform.side, transform.side, true);
    if let Some((mean, std)) = transform.normalize {
        normalize(&mut view, mean, std);
    }
    view
}

/// Builds the evaluation views of `images[indices]` in parallel as one
/// batch tensor.
///
/// # Shapes
/// Returns `[indices.len(), 3, side, side]`.
pub(crate) fn eval_batch(
    images: &[Image],
    indices: &[usize],
    transform: &EvalTransform,
    device: &Device,
) -> Tensor<4> {
    let side = transform.side;
    let views: Vec<FloatImage> = indices
        .par_iter()
        .map(|&i| eval_view(&images[i], transform))
        .collect();
    let values: Vec<f32> = views.into_iter().flat_map(|view| view.data).collect();
    Tensor::from_data(
        TensorData::new(values, [indices.len(), 3, side, side]),
        device,
    )
}

/// Size of the representation at `eval_layer`: the encoder output for 0,
/// the width of projection head layer `eval_layer` otherwise.
///
/// # Errors
/// [`Error::InvalidConfig`] if the head has fewer than `eval_layer` layers.
pub(crate) fn feature_dim(model: &SimclrModel, eval_layer: usize) -> Result<usize> {
    let layers = &model.projection_head.layers;
    if eval_layer > layers.len() {
        return Err(Error::config(
            "eval_layer",
            format!(
                "is {eval_layer}, but the projection head has {} layers",
                layers.len()
            ),
        ));
    }
    Ok(match eval_layer {
        0 => model.encoder.representation_dim(),
        k => layers[k - 1].linear.weight.val().dims()[1],
    })
}

/// Rejects a dataset with an image that has a zero side, which has no
/// evaluation view.
pub(crate) fn check_images(dataset: &Dataset, split: &str) -> Result<()> {
    match dataset
        .images
        .iter()
        .position(|image| image.width == 0 || image.height == 0)
    {
        Some(index) => Err(Error::config(
            "data",
            format!("image {index} of the {split} split has a zero side"),
        )),
        None => Ok(()),
    }
}

/// Computes the representation of every image of `dataset` at
/// `eval_layer` (see [`SimclrModel::features`]) with the model in
/// inference mode: on the plain (non-autodiff) form of `device`, where
/// BatchNorm uses its running statistics.
///
/// Labels are copied from the dataset. The result does not depend on
/// `batch_size`, up to floating-point rounding of the backend.
///
/// # Shapes
/// Returns `[dataset.len(), feature_dim]`.
///
/// # Errors
/// [`Error::InvalidConfig`] for a batch size of 0, an invalid transform or
/// an image with a zero side, [`Error::Runtime`] if the backend output
/// cannot be read.
pub fn extract_features(
    model: &SimclrModel,
    dataset: &Dataset,
    transform: &EvalTransform,
    eval_layer: usize,
    batch_size: usize,
    device: &Device,
) -> Result<Features> {
    if batch_size == 0 {
        return Err(Error::config("batch_size", "must be at least 1, got 0"));
    }
    transform.validate()?;
    let feature_dim = feature_dim(model, eval_layer)?;
    check_images(dataset, "evaluated")?;
    let device = device.clone().without_autodiff();
    let model = model.valid().to_device(&device);
    let indices: Vec<usize> = (0..dataset.len()).collect();
    let bar = progress_bar(dataset.len(), "features");
    let mut data = Vec::with_capacity(dataset.len() * feature_dim);
    for chunk in indices.chunks(batch_size) {
        let batch = eval_batch(&dataset.images, chunk, transform, &device);
        let values = model
            .features(batch, eval_layer)
            .into_data()
            .try_into_vec::<f32>()
            .map_err(|e| Error::Runtime(format!("reading features failed: {e:?}")))?;
        data.extend(values);
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    Features::new(dataset.len(), feature_dim, data, dataset.labels.clone())
}
