//! ImageNet-style image folders: `root/<class>/<image>`, with an optional
//! `train/` and `val/` split below the root.
//!
//! Class labels are the sorted class folder names of the train split, so the
//! same name gets the same label in both splits. JPEG, PNG and WebP files are
//! decoded in parallel when the dataset is opened.
//!
//! NOTE: every decoded image stays in memory, which suits folders of up to a
//! few hundred thousand small images but not a full ImageNet.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::{Dataset, Image, ReadOptions, Splits};
use crate::{Error, Result};

const EXTENSIONS: [&str; 4] = ["jpg", "jpeg", "png", "webp"];

/// Reads a folder dataset, skipping undecodable files unless `strict`.
pub fn read(root: &Path, options: &ReadOptions) -> Result<Splits> {
    let train_root = root.join("train");
    if train_root.is_dir() {
        let class_names = class_names(&train_root)?;
        let train = read_split(&train_root, &class_names, options)?;
        let val_root = root.join("val");
        let test = if val_root.is_dir() {
            Some(read_split(&val_root, &class_names, options)?)
        } else {
            None
        };
        return Ok(Splits {
            train: Some(train),
            test,
            unlabeled: None,
        });
    }
    let class_names = class_names(root)?;
    Ok(Splits {
        train: Some(read_split(root, &class_names, options)?),
        test: None,
        unlabeled: None,
    })
}

/// Checks whether a folder looks like an image folder: it has class
/// subfolders.
pub fn detect(root: &Path) -> bool {
    std::fs::read_dir(root)
        .map(|entries| entries.flatten().any(|e| e.path().is_dir()))
        .unwrap_or(false)
}

fn class_names(root: &Path) -> Result<Vec<String>> {
    let mut names: Vec<String> = read_dir_sorted(root)?
        .into_iter()
        .filter(|path| path.is_dir())
        .filter_map(|path| path.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    names.sort();
    if names.is_empty() {
        return Err(Error::data(
            root,
            "no class folders found: expected root/<class>/<image> with JPEG, PNG or WebP files",
        ));
    }
    Ok(names)
}

fn read_dir_sorted(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    Ok(paths)
}

fn is_image_file(path: &Path) -> bool {
    path.is_file()
        && path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

fn read_split(root: &Path, class_names: &[String], options: &ReadOptions) -> Result<Dataset> {
    let mut files = Vec::new();
    for (label, name) in class_names.iter().enumerate() {
        let class_dir = root.join(name);
        if !class_dir.is_dir() {
            continue;
        }
        for path in read_dir_sorted(&class_dir)? {
            if is_image_file(&path) {
                files.push((path, label));
            }
        }
    }
    let decoded: Vec<(PathBuf, usize, Result<Image>)> = files
        .into_par_iter()
        .map(|(path, label)| {
            let image = decode_file(&path, options.max_pixels);
            (path, label, image)
        })
        .collect();
    let mut dataset = Dataset {
        images: Vec::with_capacity(decoded.len()),
        labels: Some(Vec::with_capacity(decoded.len())),
        class_names: class_names.to_vec(),
    };
    let mut skipped = 0usize;
    for (path, label, image) in decoded {
        match image {
            Ok(image) => {
                dataset.images.push(image);
                dataset.labels.get_or_insert_with(Vec::new).push(label);
            }
            Err(error) if options.strict => return Err(error),
            Err(error) => {
                tracing::warn!("skipping {}: {error}", path.display());
                skipped += 1;
            }
        }
    }
    if skipped > 0 {
        tracing::warn!(
            "skipped {skipped} unreadable image files in {}",
            root.display()
        );
    }
    if dataset.is_empty() {
        return Err(Error::data(
            root,
            "no readable JPEG, PNG or WebP images in the class folders",
        ));
    }
    Ok(dataset)
}

/// Decodes one image file to RGB, rejecting images over `max_pixels` from
/// their header before any pixel is decoded.
pub fn decode_file(path: &Path, max_pixels: u64) -> Result<Image> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    decode_bytes(path, &bytes, max_pixels)
}

/// Decodes an encoded image held in memory; `path` only names it in errors.
pub fn decode_bytes(path: &Path, bytes: &[u8], max_pixels: u64) -> Result<Image> {
    if bytes.is_empty() {
        return Err(Error::data(path, "empty image file (0 bytes)"));
    }
    let reader = || {
        image::ImageReader::new(std::io::Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| Error::data(path, format!("unreadable image: {e}")))
    };
    let (width, height) = reader()?
        .into_dimensions()
        .map_err(|e| Error::data(path, format!("unreadable image header: {e}")))?;
    let pixels = u64::from(width) * u64::from(height);
    if pixels > max_pixels {
        return Err(Error::data(
            path,
            format!(
                "image of {width}x{height} = {pixels} pixels is over the limit of {max_pixels} \
                 pixels (raise it with --max-pixels)"
            ),
        ));
    }
    let mut decoder = reader()?;
    decoder.no_limits();
    let decoded = decoder
        .decode()
        .map_err(|e| Error::data(path, format!("invalid or truncated image: {e}")))?;
    let rgb = decoded.to_rgb8();
    let (width, height) = (rgb.width() as usize, rgb.height() as usize);
    Ok(Image {
        width,
        height,
        rgb: rgb.into_raw(),
    })
}
