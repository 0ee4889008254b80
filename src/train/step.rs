//! One SimCLR optimizer step.

use burn::optim::GradientsParams;
use burn::tensor::Tensor;

use crate::loss::LossConfig;
use crate::model::SimclrModel;
use crate::optim::SimclrOptimizer;
use crate::Result;

/// Loss and accuracy of one step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepOutput {
    pub loss: f64,
    /// Fraction of the 2N anchors whose most similar view is their positive.
    pub positive_top1: f64,
}

/// Runs the encoder and head on both views in one batch, so batch norm
/// normalizes over all 2N views, then takes one optimizer step at learning rate `lr`.
///
/// A non-finite loss is returned without updating the model, so the caller
/// can stop with the weights of the last good step.
///
/// # Shapes
/// `views` is `[2 * batch_size, 3, height, width]`: all first views, then
/// all second views.
pub fn train_step(
    model: SimclrModel,
    optimizer: &mut SimclrOptimizer,
    loss: &LossConfig,
    views: Tensor<4>,
    lr: f64,
) -> Result<(SimclrModel, StepOutput)> {
    let [num_views, ..] = views.dims();
    let batch_size = num_views / 2;
    let (_, z) = model.forward(views);
    // [batch_size, projection_dim] each.
    let z_a = z.clone().narrow(0, 0, batch_size);
    let z_b = z.narrow(0, batch_size, batch_size);
    let output = loss.compute(z_a, z_b)?;
    let loss_value = f64::from(output.loss.clone().into_scalar::<f32>());
    if !loss_value.is_finite() {
        let step = StepOutput {
            loss: loss_value,
            positive_top1: 0.0,
        };
        return Ok((model, step));
    }
    let positive_top1 = output.positive_accuracy();
    let grads = output.loss.backward();
    let grads = GradientsParams::from_grads(grads, &model);
    let model = optimizer.step(lr, model, grads);
    Ok((
        model,
        StepOutput {
            loss: loss_value,
            positive_top1,
        },
    ))
}
