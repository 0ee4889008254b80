//! LARS (You et al. 2017) as SimCLR's TensorFlow code applies it.

use burn::optim::{LearningRate, Optimizer, RecordState, StateSink, StateSource};
use burn::tensor::{Device, Tensor};

/// SimCLR's LARS trust coefficient.
pub const DEFAULT_EETA: f64 = 0.001;

/// LARS with classic (heavy-ball) momentum, per parameter tensor:
///
/// ```text
/// g' = g + weight_decay * w
/// trust = eeta * ||w|| / ||g'||      (1 if either norm is 0)
/// v = momentum * v + lr * trust * g'
/// w = w - v
/// ```
///
/// Parameters of rank 1 (biases and BatchNorm scales and shifts) skip both
/// weight decay and the trust ratio (`trust = 1`), as SimCLR excludes them.
/// They are selected by rank, so no parameter names are needed.
#[derive(Debug, Clone)]
pub struct Lars {
    pub momentum: f64,
    pub weight_decay: f64,
    pub eeta: f64,
}

/// Momentum buffer of one parameter.
#[derive(Clone)]
pub struct LarsState<const D: usize> {
    pub velocity: Tensor<D>,
}

const VELOCITY: &str = "velocity";

impl<const D: usize> RecordState for LarsState<D> {
    fn state_flatten(&self, prefix: &str, out: &mut StateSink) {
        out.push_tensor(prefix, VELOCITY, self.velocity.to_data());
    }

    fn state_unflatten(prefix: &str, src: &mut StateSource, device: &Device) -> Option<Self> {
        let data = src.take_tensor(prefix, VELOCITY)?;
        Some(Self {
            velocity: Tensor::from_data(data, device),
        })
    }
}

/// Returns whether a parameter of rank `rank` skips weight decay and the
/// trust ratio.
pub fn is_excluded_rank(rank: usize) -> bool {
    rank <= 1
}

/// L2 norm of a whole tensor, `[1]`.
fn norm<const D: usize>(tensor: Tensor<D>) -> Tensor<1> {
    tensor.powi_scalar(2).sum().sqrt()
}

impl Lars {
    /// Trust ratio `eeta * ||w|| / ||g||`, or 1 where either norm is 0.
    ///
    /// # Shapes
    ///
    /// Returns `[1; D]` so it broadcasts over the parameter.
    fn trust_ratio<const D: usize>(&self, weight: &Tensor<D>, grad: &Tensor<D>) -> Tensor<D> {
        let weight_norm = norm(weight.clone());
        let grad_norm = norm(grad.clone());
        let both_positive = weight_norm
            .clone()
            .greater_elem(0.0)
            .bool_and(grad_norm.clone().greater_elem(0.0));
        let ratio = weight_norm * self.eeta / grad_norm.clamp_min(f32::MIN_POSITIVE);
        let trust = ratio.ones_like().mask_where(both_positive, ratio);
        trust.reshape([1; D])
    }
}

impl Optimizer for Lars {
    type State<const D: usize> = LarsState<D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<D>, Option<Self::State<D>>) {
        let update = if is_excluded_rank(D) {
            grad.mul_scalar(lr)
        } else {
            let grad = grad + tensor.clone().mul_scalar(self.weight_decay);
            let trust = self.trust_ratio(&tensor, &grad);
            grad.mul(trust).mul_scalar(lr)
        };
        let velocity = match state {
            Some(state) => state.velocity.mul_scalar(self.momentum) + update,
            None => update,
        };
        let tensor = tensor - velocity.clone();
        (tensor, Some(LarsState { velocity }))
    }

    fn to_device<const D: usize>(state: Self::State<D>, device: &Device) -> Self::State<D> {
        LarsState {
            velocity: state.velocity.to_device(device),
        }
    }
}
