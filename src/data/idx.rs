//! MNIST and Fashion-MNIST IDX files, gzipped or not.
//!
//! An image file starts with the magic number `0x00000803` (unsigned bytes,
//! three dimensions), then the big-endian u32 count, rows and columns, then
//! `count * rows * columns` gray bytes. A label file starts with
//! `0x00000801`, the count, then one byte per label.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::{Dataset, Image, Splits};
use crate::{Error, Result};

const IMAGES_MAGIC: u32 = 0x0000_0803;
const LABELS_MAGIC: u32 = 0x0000_0801;

/// Reads the train (`train-*`) and test (`t10k-*`) splits from a folder.
pub fn read_folder(root: &Path) -> Result<Splits> {
    let train = read_split(root, "train")?;
    let test = read_split(root, "t10k")?;
    if train.is_none() && test.is_none() {
        return Err(Error::data(
            root,
            "no IDX files found: expected train-images-idx3-ubyte[.gz] or t10k-images-idx3-ubyte[.gz]",
        ));
    }
    Ok(Splits {
        train,
        test,
        unlabeled: None,
    })
}

/// Checks whether a folder contains IDX files.
pub fn detect(root: &Path) -> bool {
    ["train", "t10k"]
        .iter()
        .any(|prefix| find_file(root, &format!("{prefix}-images-idx3-ubyte")).is_some())
}

fn read_split(root: &Path, prefix: &str) -> Result<Option<Dataset>> {
    let Some(images_path) = find_file(root, &format!("{prefix}-images-idx3-ubyte")) else {
        return Ok(None);
    };
    let images = parse_images(&images_path, &read_maybe_gzip(&images_path)?)?;
    let labels = match find_file(root, &format!("{prefix}-labels-idx1-ubyte")) {
        Some(path) => {
            let labels = parse_labels(&path, &read_maybe_gzip(&path)?)?;
            if labels.len() != images.len() {
                return Err(Error::data(
                    &path,
                    format!(
                        "{} labels for {} images in {}",
                        labels.len(),
                        images.len(),
                        images_path.display()
                    ),
                ));
            }
            Some(labels)
        }
        None => None,
    };
    Ok(Some(Dataset {
        images,
        labels,
        class_names: Vec::new(),
    }))
}

fn find_file(root: &Path, stem: &str) -> Option<PathBuf> {
    [stem.to_string(), format!("{stem}.gz")]
        .into_iter()
        .map(|name| root.join(name))
        .find(|path| path.is_file())
}

/// Reads a file, inflating it when it starts with the gzip magic bytes.
pub fn read_maybe_gzip(path: &Path) -> Result<Vec<u8>> {
    let raw = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    inflate_if_gzip(path, raw)
}

pub(crate) fn inflate_if_gzip(path: &Path, raw: Vec<u8>) -> Result<Vec<u8>> {
    if !raw.starts_with(&[0x1f, 0x8b]) {
        return Ok(raw);
    }
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(raw.as_slice())
        .read_to_end(&mut out)
        .map_err(|e| Error::data(path, format!("invalid gzip stream: {e}")))?;
    Ok(out)
}

fn header(path: &Path, bytes: &[u8], magic: u32, dims: usize) -> Result<Vec<usize>> {
    let header_len = 4 + 4 * dims;
    if bytes.len() < header_len {
        return Err(Error::data(
            path,
            format!(
                "truncated IDX header: {} bytes, expected at least {header_len}",
                bytes.len()
            ),
        ));
    }
    let word = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    if word(0) != magic {
        return Err(Error::data(
            path,
            format!(
                "not an IDX file of this kind: magic number {:#010x}, expected {magic:#010x}",
                word(0)
            ),
        ));
    }
    Ok((0..dims).map(|d| word(4 + 4 * d) as usize).collect())
}

fn check_length(path: &Path, body: usize, record: usize, count: usize) -> Result<()> {
    if body != record * count {
        return Err(Error::data(
            path,
            format!(
                "truncated or oversized IDX data: header declares {count} records of {record} bytes \
                 ({} bytes), found {body} bytes",
                record * count
            ),
        ));
    }
    Ok(())
}

/// Parses an inflated IDX image file into RGB images.
pub fn parse_images(path: &Path, bytes: &[u8]) -> Result<Vec<Image>> {
    let dims = header(path, bytes, IMAGES_MAGIC, 3)?;
    let (count, rows, cols) = (dims[0], dims[1], dims[2]);
    let body = &bytes[16..];
    check_length(path, body.len(), rows * cols, count)?;
    if count == 0 || rows == 0 || cols == 0 {
        return Err(Error::data(path, "empty IDX image file: no images"));
    }
    let images = body
        .chunks_exact(rows * cols)
        .filter_map(|gray| Image::from_gray(cols, rows, gray))
        .collect();
    Ok(images)
}

/// Parses an inflated IDX label file.
pub fn parse_labels(path: &Path, bytes: &[u8]) -> Result<Vec<usize>> {
    let dims = header(path, bytes, LABELS_MAGIC, 1)?;
    let body = &bytes[8..];
    check_length(path, body.len(), 1, dims[0])?;
    Ok(body.iter().map(|&label| label as usize).collect())
}
