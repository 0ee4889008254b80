//! Feature export round trips through safetensors and .npy files.

use std::path::Path;

use safetensors::tensor::Dtype;
use safetensors::SafeTensors;
use simclr::eval::{write_features, Features};

fn sample(labels: bool) -> Features {
    let data: Vec<f32> = (0..15).map(|i| i as f32 * 0.5 - 3.0).collect();
    let labels = labels.then(|| vec![4, 0, 2, 1, 3]);
    Features::new(5, 3, data, labels).expect("consistent sizes")
}

/// Parses a NumPy 1.0 file: returns the header dictionary and the data.
fn read_npy(path: &Path) -> (String, Vec<u8>) {
    let bytes = std::fs::read(path).expect("npy file exists");
    assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00", "magic and version 1.0");
    let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    assert_eq!((10 + header_len) % 64, 0, "data is 64-byte aligned");
    let header = String::from_utf8(bytes[10..10 + header_len].to_vec()).expect("ASCII header");
    assert!(header.ends_with('\n'), "{header:?}");
    (header, bytes[10 + header_len..].to_vec())
}

#[test]
fn npy_round_trip() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("emb.npy");
    let features = sample(true);
    write_features(&path, &features).expect("written");

    let (header, data) = read_npy(&path);
    assert!(header.contains("'descr': '<f4'"), "{header}");
    assert!(header.contains("'fortran_order': False"), "{header}");
    assert!(header.contains("'shape': (5, 3)"), "{header}");
    let values: Vec<f32> = data
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    assert_eq!(values, features.data);

    let (header, data) = read_npy(&dir.path().join("emb.labels.npy"));
    assert!(header.contains("'descr': '<i8'"), "{header}");
    assert!(header.contains("'shape': (5,)"), "{header}");
    let labels: Vec<i64> = data
        .chunks_exact(8)
        .map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect();
    assert_eq!(labels, vec![4, 0, 2, 1, 3]);

    let names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("readable")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "no temporary files left: {names:?}");
}

#[test]
fn npy_without_labels_writes_one_file() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("emb.npy");
    write_features(&path, &sample(false)).expect("written");
    assert!(path.exists());
    assert!(!dir.path().join("emb.labels.npy").exists());
}

#[test]
fn safetensors_round_trip() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("emb.safetensors");
    let features = sample(true);
    write_features(&path, &features).expect("written");

    let bytes = std::fs::read(&path).expect("file exists");
    let tensors = SafeTensors::deserialize(&bytes).expect("valid safetensors");
    let values = tensors.tensor("features").expect("features tensor");
    assert_eq!(values.dtype(), Dtype::F32);
    assert_eq!(values.shape(), &[5, 3]);
    let decoded: Vec<f32> = values
        .data()
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    assert_eq!(decoded, features.data);
    let labels = tensors.tensor("labels").expect("labels tensor");
    assert_eq!(labels.dtype(), Dtype::I64);
    assert_eq!(labels.shape(), &[5]);
    let decoded: Vec<i64> = labels
        .data()
        .chunks_exact(8)
        .map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect();
    assert_eq!(decoded, vec![4, 0, 2, 1, 3]);

    write_features(&path, &sample(false)).expect("overwritten");
    let bytes = std::fs::read(&path).expect("file exists");
    let tensors = SafeTensors::deserialize(&bytes).expect("valid safetensors");
    assert!(tensors.tensor("labels").is_err(), "no labels tensor");
}

#[test]
fn write_features_rejects_csv() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("emb.csv");
    let error = write_features(&path, &sample(true)).expect_err("csv is not supported");
    let message = error.to_string();
    for part in ["\"csv\"", ".safetensors", ".npy"] {
        assert!(message.contains(part), "{message} lacks {part}");
    }
    assert!(!path.exists());
}
