//! Dataset readers on real files and on generated files for each format and
//! each kind of bad input.

use std::path::{Path, PathBuf};

use simclr::data::{self, Cifar100Labels, DataSpec, Format, ReadOptions, SplitName};
use simclr::Error;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn open(spec: &str) -> simclr::Result<data::Splits> {
    data::open(&spec.parse()?, &ReadOptions::default())
}

fn message(result: simclr::Result<data::Splits>) -> String {
    match result {
        Ok(_) => panic!("expected an error"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn builtin_is_balanced_fashion_mnist() {
    let splits = open("builtin").unwrap();
    let train = splits.train.unwrap();
    let test = splits.test.unwrap();
    assert_eq!(train.len(), 10_000);
    assert_eq!(test.len(), 2_000);
    for (dataset, per_class) in [(&train, 1000), (&test, 200)] {
        let labels = dataset.labels.as_ref().unwrap();
        for class in 0..10 {
            let count = labels.iter().filter(|&&l| l == class).count();
            assert_eq!(count, per_class, "class {class}");
        }
        assert_eq!(dataset.num_classes(), Some(10));
    }
    let image = &train.images[0];
    assert_eq!((image.width, image.height), (28, 28));
    assert!(image.rgb.chunks(3).all(|p| p[0] == p[1] && p[1] == p[2]));
    assert!(image.rgb.iter().any(|&v| v > 0), "first image is all black");
}

#[test]
fn cifar10_sample_matches_png_files() {
    let root = fixtures().join("cifar10-sample");
    let splits = open(&format!("cifar10:{}", root.display())).unwrap();
    assert!(splits.train.is_none());
    let test = splits.test.unwrap();
    assert_eq!(test.len(), 20);
    let labels = test.labels.as_ref().unwrap();
    for (index, &expected_label) in labels.iter().enumerate() {
        let png = std::fs::read_dir(&root)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(&format!("cifar10_{index:02}_"))
            })
            .unwrap();
        let name = png.file_stem().unwrap().to_string_lossy().into_owned();
        let label: usize = name.rsplit('_').next().unwrap().parse().unwrap();
        assert_eq!(expected_label, label, "label of image {index}");
        let decoded = data::folder::decode_file(&png, data::DEFAULT_MAX_PIXELS).unwrap();
        assert_eq!(decoded, test.images[index], "pixels of image {index}");
    }
}

#[test]
fn detects_formats() {
    let cifar = fixtures().join("cifar10-sample");
    assert_eq!(data::detect(&cifar).unwrap(), Format::Cifar10);
    let photos = photo_folder(&tempfile::tempdir().unwrap().keep());
    assert_eq!(data::detect(&photos).unwrap(), Format::Folder);
    let splits = open(cifar.to_str().unwrap()).unwrap();
    assert_eq!(splits.test.unwrap().len(), 20);
}

/// Lays out the real photos as `root/<class>/<file>`: two classes.
fn photo_folder(root: &Path) -> PathBuf {
    let photos = fixtures().join("photos");
    for (class, files) in [
        ("animal", &["chelsea.png", "astronaut.png"][..]),
        ("object", &["coffee.png", "rocket.jpg"][..]),
    ] {
        std::fs::create_dir_all(root.join(class)).unwrap();
        for file in files {
            std::fs::copy(photos.join(file), root.join(class).join(file)).unwrap();
        }
    }
    root.to_path_buf()
}

#[test]
fn folder_of_real_photos() {
    let dir = tempfile::tempdir().unwrap();
    let root = photo_folder(dir.path());
    let train = open(&format!("folder:{}", root.display()))
        .unwrap()
        .train
        .unwrap();
    assert_eq!(train.len(), 4);
    assert_eq!(train.class_names, ["animal", "object"]);
    assert_eq!(train.labels.as_ref().unwrap(), &[0, 0, 1, 1]);
    // Sorted within a class: astronaut.png before chelsea.png.
    assert_eq!((train.images[0].width, train.images[0].height), (512, 512));
    assert_eq!((train.images[1].width, train.images[1].height), (451, 300));
    assert_eq!((train.images[3].width, train.images[3].height), (640, 427));
}

#[test]
fn folder_with_train_and_val_splits() {
    let dir = tempfile::tempdir().unwrap();
    photo_folder(&dir.path().join("train"));
    let val = dir.path().join("val/object");
    std::fs::create_dir_all(&val).unwrap();
    std::fs::copy(fixtures().join("photos/coffee.png"), val.join("c.png")).unwrap();
    let splits = open(&format!("folder:{}", dir.path().display())).unwrap();
    assert_eq!(splits.train.unwrap().len(), 4);
    let test = splits.test.unwrap();
    assert_eq!(test.len(), 1);
    assert_eq!(
        test.labels.unwrap(),
        [1],
        "val labels follow train class names"
    );
}

#[test]
fn folder_converts_gray_alpha_16bit_and_palette() {
    let dir = tempfile::tempdir().unwrap();
    let class = dir.path().join("kinds");
    std::fs::create_dir_all(&class).unwrap();
    image::GrayImage::from_pixel(3, 2, image::Luma([77]))
        .save(class.join("a_gray.png"))
        .unwrap();
    image::RgbaImage::from_pixel(3, 2, image::Rgba([10, 20, 30, 0]))
        .save(class.join("b_rgba.png"))
        .unwrap();
    image::ImageBuffer::<image::Rgb<u16>, _>::from_pixel(3, 2, image::Rgb([65535, 0, 32896]))
        .save(class.join("c_rgb16.png"))
        .unwrap();
    write_palette_png(&class.join("d_palette.png"));
    let train = open(&format!("folder:{}", dir.path().display()))
        .unwrap()
        .train
        .unwrap();
    assert_eq!(train.len(), 4);
    assert_eq!(train.images[0].pixel(0, 0), [77, 77, 77]);
    assert_eq!(train.images[1].pixel(2, 1), [10, 20, 30]);
    assert_eq!(train.images[2].pixel(1, 0), [255, 0, 128]);
    assert_eq!(train.images[3].pixel(0, 0), [200, 100, 50]);
    assert_eq!(train.images[3].pixel(1, 0), [0, 0, 255]);
}

/// A 2x1 8-bit indexed PNG whose palette maps 0 and 1 to two colors.
fn write_palette_png(path: &Path) {
    let file = std::fs::File::create(path).unwrap();
    let mut encoder = png::Encoder::new(file, 2, 1);
    encoder.set_color(png::ColorType::Indexed);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_palette(vec![200, 100, 50, 0, 0, 255]);
    let mut writer = encoder.write_header().unwrap();
    writer.write_image_data(&[0, 1]).unwrap();
}

#[test]
fn folder_skips_broken_files_and_strict_stops() {
    let dir = tempfile::tempdir().unwrap();
    let root = photo_folder(dir.path());
    std::fs::write(root.join("animal/empty.png"), b"").unwrap();
    let chelsea = std::fs::read(fixtures().join("photos/chelsea.png")).unwrap();
    std::fs::write(
        root.join("object/truncated.png"),
        &chelsea[..chelsea.len() / 2],
    )
    .unwrap();
    std::fs::write(root.join("object/text.jpg"), b"not an image at all").unwrap();
    let train = open(&format!("folder:{}", root.display()))
        .unwrap()
        .train
        .unwrap();
    assert_eq!(train.len(), 4, "the three broken files are skipped");

    let strict = ReadOptions {
        strict: true,
        ..ReadOptions::default()
    };
    let error = data::open(&DataSpec::Path(Format::Folder, root), &strict).unwrap_err();
    assert!(error.is_bad_input());
    let text = error.to_string();
    assert!(text.contains("empty.png"), "{text}");
}

#[test]
fn folder_rejects_images_over_pixel_limit() {
    let dir = tempfile::tempdir().unwrap();
    let root = photo_folder(dir.path());
    let options = ReadOptions {
        max_pixels: 300 * 451,
        strict: true,
        ..ReadOptions::default()
    };
    let error = data::open(&DataSpec::Path(Format::Folder, root), &options).unwrap_err();
    let text = error.to_string();
    assert!(text.contains("astronaut.png"), "{text}");
    assert!(text.contains("262144 pixels"), "{text}");
}

#[test]
fn folder_without_images_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("empty_class")).unwrap();
    let text = message(open(&format!("folder:{}", dir.path().display())));
    assert!(text.contains("no readable"), "{text}");
    let text = message(open(&format!(
        "folder:{}",
        dir.path().join("empty_class").display()
    )));
    assert!(text.contains("no class folders"), "{text}");
}

fn idx_bytes(magic: u32, dims: &[u32], body: &[u8]) -> Vec<u8> {
    let mut bytes = magic.to_be_bytes().to_vec();
    for d in dims {
        bytes.extend_from_slice(&d.to_be_bytes());
    }
    bytes.extend_from_slice(body);
    bytes
}

#[test]
fn idx_uncompressed_and_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let body: Vec<u8> = (0..2 * 3 * 4).map(|v| v as u8).collect();
    std::fs::write(
        dir.path().join("train-images-idx3-ubyte"),
        idx_bytes(0x803, &[2, 3, 4], &body),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("train-labels-idx1-ubyte"),
        idx_bytes(0x801, &[2], &[7, 1]),
    )
    .unwrap();
    let train = open(&format!("idx:{}", dir.path().display()))
        .unwrap()
        .train
        .unwrap();
    assert_eq!((train.images[1].width, train.images[1].height), (4, 3));
    assert_eq!(train.images[1].pixel(1, 0), [13, 13, 13]);
    assert_eq!(train.labels.unwrap(), [7, 1]);

    std::fs::write(
        dir.path().join("train-images-idx3-ubyte"),
        idx_bytes(0x803, &[2, 3, 4], &body[..20]),
    )
    .unwrap();
    let text = message(open(&format!("idx:{}", dir.path().display())));
    assert!(text.contains("train-images-idx3-ubyte"), "{text}");
    assert!(text.contains("found 20 bytes"), "{text}");
}

#[test]
fn cifar_truncated_file_names_record_size() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("test_batch.bin"), vec![0u8; 3073 * 2 + 5]).unwrap();
    let text = message(open(&format!("cifar10:{}", dir.path().display())));
    assert!(text.contains("test_batch.bin"), "{text}");
    assert!(text.contains("3073-byte records"), "{text}");
}

#[test]
fn cifar100_coarse_and_fine_labels() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = Vec::new();
    for (coarse, fine) in [(3u8, 42u8), (19, 99)] {
        bytes.extend_from_slice(&[coarse, fine]);
        bytes.extend(std::iter::repeat_n(fine, 3072));
    }
    std::fs::write(dir.path().join("train.bin"), &bytes).unwrap();
    let spec = DataSpec::Path(Format::Cifar100, dir.path().to_path_buf());
    let fine = data::open(&spec, &ReadOptions::default()).unwrap();
    assert_eq!(fine.train.unwrap().labels.unwrap(), [42, 99]);
    let options = ReadOptions {
        cifar100_labels: Cifar100Labels::Coarse,
        ..ReadOptions::default()
    };
    let coarse = data::open(&spec, &options).unwrap().train.unwrap();
    assert_eq!(coarse.labels.unwrap(), [3, 19]);
    assert_eq!(coarse.images[1].pixel(5, 5), [99, 99, 99]);
}

#[test]
fn stl10_planes_are_column_major() {
    let dir = tempfile::tempdir().unwrap();
    let side = 96;
    let mut image = vec![0u8; side * side * 3];
    // Red plane: row y, column x at x * 96 + y.
    image[5 * side + 2] = 250;
    std::fs::write(dir.path().join("train_X.bin"), &image).unwrap();
    std::fs::write(dir.path().join("train_y.bin"), [10u8]).unwrap();
    std::fs::write(
        dir.path().join("unlabeled_X.bin"),
        [&image[..], &image[..]].concat(),
    )
    .unwrap();
    let spec: DataSpec = format!("stl10:{}", dir.path().display()).parse().unwrap();
    let mut splits = data::open(&spec, &ReadOptions::default()).unwrap();
    let train = splits.train.clone().unwrap();
    assert_eq!(train.images[0].pixel(5, 2), [250, 0, 0]);
    assert_eq!(train.labels.unwrap(), [9]);
    let joined = splits.take(SplitName::TrainUnlabeled, &spec).unwrap();
    assert_eq!(joined.len(), 3);
    assert!(joined.labels.is_none());

    std::fs::write(dir.path().join("test_X.bin"), &image[..1000]).unwrap();
    let text = message(data::open(&spec, &ReadOptions::default()));
    assert!(text.contains("test_X.bin"), "{text}");
}

#[test]
fn missing_path_and_unknown_format() {
    let text = message(open("/nonexistent/simclr-data"));
    assert!(text.contains("/nonexistent/simclr-data"), "{text}");
    assert!(text.contains("not found"), "{text}");
    let error = "tarball:/tmp/x".parse::<DataSpec>().unwrap_err();
    assert!(matches!(error, Error::InvalidConfig { .. }));
    assert!(error.to_string().contains("tarball"), "{error}");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "hello").unwrap();
    let text = message(open(dir.path().to_str().unwrap()));
    assert!(text.contains("unknown dataset format"), "{text}");
}

#[test]
fn empty_split_is_an_error() {
    let spec = DataSpec::Builtin;
    let mut splits = data::open(&spec, &ReadOptions::default()).unwrap();
    let error = splits.take(SplitName::Unlabeled, &spec).unwrap_err();
    assert!(error.to_string().contains("no unlabeled split"), "{error}");
}
