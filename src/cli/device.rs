//! The `--device` flag: which burn backend runs the model.

use anyhow::Result;
use burn::tensor::Device;

/// Devices this build can run on, for the flag's help and errors.
pub const DEVICE_NAMES: &str =
    "flex (CPU), cuda (with the cuda feature), wgpu (with the wgpu feature)";

/// Creates the plain device named by `--device`.
pub fn device(name: &str) -> Result<Device> {
    match name {
        "flex" | "cpu" => Ok(Device::flex()),
        #[cfg(feature = "cuda")]
        "cuda" => Ok(Device::cuda(0)),
        #[cfg(feature = "wgpu")]
        "wgpu" => Ok(Device::wgpu(burn::tensor::DeviceKind::default())),
        "cuda" | "wgpu" => Err(simclr::Error::config(
            "device",
            format!("this build has no {name} backend; rebuild with `cargo build --release --features {name}`"),
        )
        .into()),
        other => Err(simclr::Error::config(
            "device",
            format!("unknown device '{other}': expected {DEVICE_NAMES}"),
        )
        .into()),
    }
}

/// Creates the autodiff device for training on the backend named by `--device`.
pub fn training_device(name: &str) -> Result<Device> {
    Ok(device(name)?.autodiff())
}
