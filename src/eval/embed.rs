//! Feature export to safetensors and NumPy `.npy` files.

use std::path::{Path, PathBuf};

use safetensors::tensor::{Dtype, TensorView};

use super::features::Features;
use crate::atomic_file::write_atomic;
use crate::{Error, Result};

/// Writes `features` to `path` in the format its extension names.
///
/// - `.safetensors`: tensor `features` (f32, `[rows, dim]`) and, when the
///   labels are known, tensor `labels` (i64, `[rows]`).
/// - `.npy`: NumPy format version 1.0 with dtype `<f4`, C order and shape
///   `(rows, dim)`. Known labels go to `<stem>.labels.npy` beside it, with
///   dtype `<i8` and shape `(rows,)`. NOTE: without labels, an existing
///   `<stem>.labels.npy` from an earlier export is left as it is.
///
/// Each file is written to a temporary file in the same folder and then
/// renamed, so a reader never sees a partial file.
///
/// # Errors
/// [`Error::InvalidConfig`] for another extension, [`Error::Io`] if a file
/// cannot be written.
pub fn write_features(path: &Path, features: &Features) -> Result<()> {
    match feature_format(path)? {
        FeatureFormat::Safetensors => write_atomic(path, &safetensors_bytes(path, features)?),
        FeatureFormat::Npy => write_npy_files(path, features),
    }
}

/// A feature file format, chosen by extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeatureFormat {
    Safetensors,
    Npy,
}

/// Picks the format from the extension of `path`, so a command can reject
/// a bad output name before computing any feature.
pub fn feature_format(path: &Path) -> Result<FeatureFormat> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("safetensors") => Ok(FeatureFormat::Safetensors),
        Some("npy") => Ok(FeatureFormat::Npy),
        other => Err(Error::config(
            "output",
            format!(
                "unsupported feature file extension {:?} in {}; use .safetensors or .npy",
                other.unwrap_or(""),
                path.display()
            ),
        )),
    }
}

fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn label_bytes(labels: &[usize]) -> Vec<u8> {
    labels
        .iter()
        .flat_map(|&label| (label as i64).to_le_bytes())
        .collect()
}

fn safetensors_bytes(path: &Path, features: &Features) -> Result<Vec<u8>> {
    let invalid = |e: safetensors::SafeTensorError| {
        Error::Runtime(format!(
            "encoding {} as safetensors failed: {e}",
            path.display()
        ))
    };
    let feature_bytes = f32_bytes(&features.data);
    let mut tensors = vec![(
        "features",
        TensorView::new(
            Dtype::F32,
            vec![features.rows, features.dim],
            &feature_bytes,
        )
        .map_err(invalid)?,
    )];
    let labels = features.labels.as_deref().map(label_bytes);
    if let Some(labels) = &labels {
        let view = TensorView::new(Dtype::I64, vec![features.rows], labels).map_err(invalid)?;
        tensors.push(("labels", view));
    }
    safetensors::tensor::serialize(tensors, None).map_err(invalid)
}

fn write_npy_files(path: &Path, features: &Features) -> Result<()> {
    let header = npy_header("<f4", &[features.rows, features.dim]);
    write_atomic(path, &[header, f32_bytes(&features.data)].concat())?;
    if let Some(labels) = &features.labels {
        let header = npy_header("<i8", &[labels.len()]);
        write_atomic(&labels_path(path), &[header, label_bytes(labels)].concat())?;
    }
    Ok(())
}

/// The file beside a `.npy` feature file that contains its labels:
/// `<stem>.labels.npy`.
pub fn labels_path(path: &Path) -> PathBuf {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("features");
    path.with_file_name(format!("{stem}.labels.npy"))
}

/// Builds a NumPy format 1.0 header: the magic string, the version, the
/// little-endian u16 header length and a dictionary literal padded with
/// spaces and ended by a newline so that the data starts at a multiple of
/// 64 bytes, as NumPy writes it.
fn npy_header(descr: &str, shape: &[usize]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape_text = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let mut dict =
        format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_text}, }}");
    // Magic (6) + version (2) + length (2) + dict + newline.
    let unpadded = 10 + dict.len() + 1;
    dict.push_str(&" ".repeat(unpadded.next_multiple_of(64) - unpadded));
    dict.push('\n');
    let mut header = b"\x93NUMPY\x01\x00".to_vec();
    // The dictionary of a 2-D shape stays far below the u16 limit.
    header.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    header.extend_from_slice(dict.as_bytes());
    header
}
