//! Encoder weights in safetensors files with torchvision's parameter names.
//!
//! Convolution weights are `[out_channels, in_channels, kernel, kernel]`,
//! the layout of both burn and PyTorch, so tensors are copied unchanged.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use burn::module::{Param, RunningState};
use burn::nn::conv::Conv2d;
use burn::nn::BatchNorm;
use burn::tensor::{Tensor, TensorData};
use safetensors::{Dtype, SafeTensors};

use super::resnet::Encoder;
use crate::{Error, Result};

/// torchvision's BatchNorm step counter. Saved as an int64 scalar of value 0
/// so that PyTorch's strict `load_state_dict` accepts the file. With
/// momentum set, PyTorch only uses it for cumulative averaging, so its value
/// has no effect there. Ignored on load.
const NUM_BATCHES_TRACKED: &str = "num_batches_tracked";

/// Keys of torchvision's classification layer, which the encoder lacks and
/// loading skips.
const CLASSIFIER_PREFIX: &str = "fc.";

/// A layer of the encoder that owns tensors in the state dict.
enum Layer<'a> {
    Conv(&'a Conv2d),
    BatchNorm(&'a BatchNorm),
}

enum LayerMut<'a> {
    Conv(&'a mut Conv2d),
    BatchNorm(&'a mut BatchNorm),
}

fn named_layers(encoder: &Encoder) -> Vec<(String, Layer<'_>)> {
    let mut layers = vec![
        ("conv1".to_string(), Layer::Conv(&encoder.conv1)),
        ("bn1".to_string(), Layer::BatchNorm(&encoder.bn1)),
    ];
    for (stage_name, blocks) in encoder.stages() {
        for (index, block) in blocks.iter().enumerate() {
            let prefix = format!("{stage_name}.{index}");
            layers.push((format!("{prefix}.conv1"), Layer::Conv(&block.conv1)));
            layers.push((format!("{prefix}.bn1"), Layer::BatchNorm(&block.bn1)));
            layers.push((format!("{prefix}.conv2"), Layer::Conv(&block.conv2)));
            layers.push((format!("{prefix}.bn2"), Layer::BatchNorm(&block.bn2)));
            if let (Some(conv3), Some(bn3)) = (&block.conv3, &block.bn3) {
                layers.push((format!("{prefix}.conv3"), Layer::Conv(conv3)));
                layers.push((format!("{prefix}.bn3"), Layer::BatchNorm(bn3)));
            }
            if let Some(downsample) = &block.downsample {
                let conv = Layer::Conv(&downsample.conv);
                layers.push((format!("{prefix}.downsample.0"), conv));
                let bn = Layer::BatchNorm(&downsample.bn);
                layers.push((format!("{prefix}.downsample.1"), bn));
            }
        }
    }
    layers
}

fn named_layers_mut(encoder: &mut Encoder) -> Vec<(String, LayerMut<'_>)> {
    let Encoder {
        conv1,
        bn1,
        layer1,
        layer2,
        layer3,
        layer4,
        ..
    } = encoder;
    let mut layers = vec![
        ("conv1".to_string(), LayerMut::Conv(conv1)),
        ("bn1".to_string(), LayerMut::BatchNorm(bn1)),
    ];
    let stages = [
        ("layer1", layer1),
        ("layer2", layer2),
        ("layer3", layer3),
        ("layer4", layer4),
    ];
    for (stage_name, blocks) in stages {
        for (index, block) in blocks.iter_mut().enumerate() {
            let prefix = format!("{stage_name}.{index}");
            layers.push((format!("{prefix}.conv1"), LayerMut::Conv(&mut block.conv1)));
            layers.push((format!("{prefix}.bn1"), LayerMut::BatchNorm(&mut block.bn1)));
            layers.push((format!("{prefix}.conv2"), LayerMut::Conv(&mut block.conv2)));
            layers.push((format!("{prefix}.bn2"), LayerMut::BatchNorm(&mut block.bn2)));
            if let (Some(conv3), Some(bn3)) = (&mut block.conv3, &mut block.bn3) {
                layers.push((format!("{prefix}.conv3"), LayerMut::Conv(conv3)));
                layers.push((format!("{prefix}.bn3"), LayerMut::BatchNorm(bn3)));
            }
            if let Some(downsample) = &mut block.downsample {
                let conv = LayerMut::Conv(&mut downsample.conv);
                layers.push((format!("{prefix}.downsample.0"), conv));
                let bn = LayerMut::BatchNorm(&mut downsample.bn);
                layers.push((format!("{prefix}.downsample.1"), bn));
            }
        }
    }
    layers
}

/// Float tensors by torchvision name, each as its shape and values.
pub type StateDict = BTreeMap<String, (Vec<usize>, Vec<f32>)>;

/// Returns the encoder's float tensors by torchvision name, without the
/// `num_batches_tracked` counters.
pub fn encoder_state_dict(encoder: &Encoder) -> Result<StateDict> {
    let mut state = BTreeMap::new();
    for (name, layer) in named_layers(encoder) {
        let tensors: Vec<(&str, TensorData)> = match layer {
            Layer::Conv(conv) => vec![("weight", conv.weight.val().into_data())],
            Layer::BatchNorm(bn) => vec![
                ("weight", bn.gamma.val().into_data()),
                ("bias", bn.beta.val().into_data()),
                ("running_mean", bn.running_mean.value_sync().into_data()),
                ("running_var", bn.running_var.value_sync().into_data()),
            ],
        };
        for (suffix, data) in tensors {
            let key = format!("{name}.{suffix}");
            let shape = data.shape().to_vec();
            let values = data.try_to_vec::<f32>().map_err(|e| {
                Error::Runtime(format!("failed to read tensor {key} as f32: {e:?}"))
            })?;
            state.insert(key, (shape, values));
        }
    }
    Ok(state)
}

/// Writes the encoder's weights and BatchNorm statistics to a safetensors
/// file with torchvision's names, plus `num_batches_tracked = 0` for every
/// BatchNorm so that torchvision's strict `load_state_dict` accepts it.
///
/// # Errors
///
/// [`Error::Io`] if the file cannot be written.
pub fn save_encoder_safetensors(encoder: &Encoder, path: impl AsRef<Path>) -> Result<()> {
    let path = path.as_ref();
    let state = encoder_state_dict(encoder)?;
    let mut buffers: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = Vec::new();
    for (key, (shape, values)) in state {
        if let Some(layer) = key.strip_suffix(".running_var") {
            let counter = format!("{layer}.{NUM_BATCHES_TRACKED}");
            buffers.push((
                counter,
                Dtype::I64,
                Vec::new(),
                0_i64.to_le_bytes().to_vec(),
            ));
        }
        let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        buffers.push((key, Dtype::F32, shape, bytes));
    }

    let mut views = Vec::with_capacity(buffers.len());
    for (key, dtype, shape, bytes) in &buffers {
        let view = safetensors::tensor::TensorView::new(*dtype, shape.clone(), bytes)
            .map_err(|e| Error::Runtime(format!("failed to build tensor {key}: {e}")))?;
        views.push((key.clone(), view));
    }
    let bytes = safetensors::serialize(views, None)
        .map_err(|e| Error::Runtime(format!("failed to serialize {}: {e}", path.display())))?;
    std::fs::write(path, bytes).map_err(|e| Error::io(path, e))
}

/// Loads torchvision-named weights and BatchNorm statistics into `encoder`,
/// whose architecture must match the file. Parameter ids are kept, so
/// optimizer state keyed by them stays valid. `num_batches_tracked` and the
/// classifier (`fc.*`) are skipped.
///
/// # Errors
///
/// - [`Error::Io`] if the file cannot be read.
/// - [`Error::InvalidData`] if it is not safetensors, a tensor is missing or
///   unexpected, or a tensor is not float32.
/// - [`Error::Shape`] if a tensor has another shape than the encoder's. The
///   message names the parameter, both shapes and the option that is
///   probably wrong (`--stem`, `--width-multiplier` or `--arch`).
pub fn load_encoder_safetensors(mut encoder: Encoder, path: impl AsRef<Path>) -> Result<Encoder> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let file = SafeTensors::deserialize(&bytes)
        .map_err(|e| Error::data(path, format!("invalid safetensors file: {e}")))?;
    let reader = TensorReader { path, file: &file };

    let mut expected_keys = BTreeSet::new();
    for (name, layer) in named_layers_mut(&mut encoder) {
        match layer {
            LayerMut::Conv(conv) => {
                let key = format!("{name}.weight");
                conv.weight = replace_param(&conv.weight, reader.read(&key, &conv.weight.dims())?);
                expected_keys.insert(key);
            }
            LayerMut::BatchNorm(bn) => {
                let dims = bn.gamma.dims();
                let key = format!("{name}.weight");
                bn.gamma = replace_param(&bn.gamma, reader.read(&key, &dims)?);
                let key = format!("{name}.bias");
                bn.beta = replace_param(&bn.beta, reader.read(&key, &dims)?);
                let device = bn.gamma.val().device();
                let mean = reader.read(&format!("{name}.running_mean"), &dims)?;
                bn.running_mean = RunningState::new(Tensor::from_data(mean, &device));
                let var = reader.read(&format!("{name}.running_var"), &dims)?;
                bn.running_var = RunningState::new(Tensor::from_data(var, &device));
                for suffix in ["weight", "bias", "running_mean", "running_var"] {
                    expected_keys.insert(format!("{name}.{suffix}"));
                }
            }
        }
    }

    let unexpected = file.names().into_iter().find(|key| {
        !expected_keys.contains(*key)
            && !key.ends_with(NUM_BATCHES_TRACKED)
            && !key.starts_with(CLASSIFIER_PREFIX)
    });
    if let Some(key) = unexpected {
        return Err(Error::data(
            path,
            format!("unexpected tensor {key}: the file is probably for another --arch"),
        ));
    }
    Ok(encoder)
}

/// Replaces a parameter's value, keeping its id and gradient requirement.
fn replace_param<const D: usize>(param: &Param<Tensor<D>>, data: TensorData) -> Param<Tensor<D>> {
    param.clone().map(|old| {
        let tensor = Tensor::from_data(data, &old.device());
        tensor.set_require_grad(old.is_require_grad())
    })
}

struct TensorReader<'a> {
    path: &'a Path,
    file: &'a SafeTensors<'a>,
}

impl TensorReader<'_> {
    /// Reads a float32 tensor and checks its shape against `expected`.
    fn read(&self, key: &str, expected: &[usize]) -> Result<TensorData> {
        let view = self.file.tensor(key).map_err(|_| {
            Error::data(
                self.path,
                format!("missing tensor {key}: the file is probably for another --arch"),
            )
        })?;
        if view.shape() != expected {
            return Err(Error::Shape {
                op: format!("load_encoder_safetensors({})", self.path.display()),
                message: format!(
                    "{key} has shape {:?} in the file but the encoder expects {:?}; check {}",
                    view.shape(),
                    expected,
                    suspect_option(key, view.shape(), expected)
                ),
            });
        }
        if view.dtype() != Dtype::F32 {
            return Err(Error::data(
                self.path,
                format!("tensor {key} has dtype {:?}, expected F32", view.dtype()),
            ));
        }
        let values = view
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect::<Vec<_>>();
        Ok(TensorData::new(values, expected.to_vec()))
    }
}

/// Names the command-line option that most likely explains a shape
/// mismatch. The stem convolution is read first, so a kernel size mismatch
/// there points to the stem and a channel mismatch to the width. Later
/// mismatches come from a different block layout.
fn suspect_option(key: &str, found: &[usize], expected: &[usize]) -> &'static str {
    let is_stem = key == "conv1.weight" || key.starts_with("bn1.");
    if key == "conv1.weight" && found.get(2..) != expected.get(2..) {
        "--stem"
    } else if is_stem {
        "--width-multiplier"
    } else {
        "--arch"
    }
}
