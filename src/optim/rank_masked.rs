//! Weight decay that skips rank-1 parameters for burn's SGD and AdamW.

use burn::optim::{LearningRate, Optimizer};
use burn::tensor::{Device, Tensor};

use super::lars::is_excluded_rank;

/// Runs `with_decay` on parameters of rank 2 and more, and
/// `without_decay` (the same optimizer with weight decay 0) on biases and
/// BatchNorm parameters. Both share one state type, so a parameter's state
/// is the same whichever one steps it.
#[derive(Clone)]
pub struct RankMasked<O> {
    pub with_decay: O,
    pub without_decay: O,
}

impl<O: Optimizer> Optimizer for RankMasked<O> {
    type State<const D: usize> = O::State<D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<D>, Option<Self::State<D>>) {
        if is_excluded_rank(D) {
            self.without_decay.step(lr, tensor, grad, state)
        } else {
            self.with_decay.step(lr, tensor, grad, state)
        }
    }

    fn to_device<const D: usize>(state: Self::State<D>, device: &Device) -> Self::State<D> {
        O::to_device(state, device)
    }
}
