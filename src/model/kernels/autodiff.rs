//! Handwritten backward pass of [`ConvKernelBackend::kernel_conv2d`] on
//! burn's autodiff backend.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::autodiff::NodeId;
use burn::backend::tensor::FloatTensor;
use burn::backend::Autodiff;

use super::extension::{dims4, ConvGradientBackend, ConvKernelBackend};

#[derive(Debug)]
struct KernelConv2dBackward;

impl<B: ConvKernelBackend + ConvGradientBackend> Backward<B, 2> for KernelConv2dBackward {
    /// Input and weight nodes, stride and padding.
    type State = (NodeId, NodeId, [usize; 2], [usize; 2]);

    fn backward(
        self,
        ops: Ops<Self::State, 2>,
        grads: &mut Gradients,
        checkpointer: &mut Checkpointer,
    ) {
        let [node_x, node_weight] = ops.parents;
        let grad = grads.consume::<B>(&ops.node);
        let (x_state, weight_state, stride, padding) = ops.state;
        let x = checkpointer.retrieve_node_output::<B::FloatTensorPrimitive>(x_state);
        let weight = checkpointer.retrieve_node_output::<B::FloatTensorPrimitive>(weight_state);
        let (x_shape, weight_shape) = (dims4(&x), dims4(&weight));

        if let Some(node) = node_x {
            let x_grad =
                B::kernel_conv2d_input_grad(weight, grad.clone(), x_shape, stride, padding);
            grads.register::<B>(node.id, x_grad);
        }
        if let Some(node) = node_weight {
            let weight_grad = B::kernel_conv2d_weight_grad(x, grad, weight_shape, stride, padding);
            grads.register::<B>(node.id, weight_grad);
        }
    }
}

impl<B, C> ConvKernelBackend for Autodiff<B, C>
where
    B: ConvKernelBackend + ConvGradientBackend,
    C: CheckpointStrategy,
{
    fn kernel_conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        stride: [usize; 2],
        padding: [usize; 2],
    ) -> FloatTensor<Self> {
        match KernelConv2dBackward
            .prepare::<C>([x.node(), weight.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(mut prep) => {
                let x_state = prep.checkpoint(&x);
                let weight_state = prep.checkpoint(&weight);
                let output =
                    B::kernel_conv2d(x.into_primitive(), weight.into_primitive(), stride, padding);
                prep.finish((x_state, weight_state, stride, padding), output)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::kernel_conv2d(
                x.into_primitive(),
                weight.into_primitive(),
                stride,
                padding,
            )),
        }
    }
}
