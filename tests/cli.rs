//! The `simclr` binary end to end on the builtin data: metrics, checkpoints,
//! resume, evaluation commands and the exit codes of bad input.

use std::path::Path;
use std::process::{Command, Output};

fn simclr(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_simclr"))
        .args(args)
        .output()
        .expect("the simclr binary runs")
}

fn text(output: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Flags of a pretraining run small enough for a test: 64 images, 4 steps
/// an epoch, 2 epochs.
const TINY_FLAGS: [&str; 12] = [
    "--max-images",
    "64",
    "--batch-size",
    "16",
    "--width-multiplier",
    "0.0625",
    "--epochs",
    "2",
    "--log-every-steps",
    "1",
    "--knn-k",
    "20",
];

/// Runs the tiny pretraining into `out` with `extra` flags after the others.
fn tiny_pretrain(out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["pretrain", "--out", out.to_str().unwrap()];
    args.extend_from_slice(&TINY_FLAGS);
    args.extend_from_slice(extra);
    simclr(&args)
}

fn metrics(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn step_lrs(records: &[serde_json::Value]) -> Vec<(u64, f64)> {
    records
        .iter()
        .filter(|r| r["kind"] == "step")
        .map(|r| (r["step"].as_u64().unwrap(), r["lr"].as_f64().unwrap()))
        .collect()
}

/// Runs an evaluation command with `--json` and checks that `key` is an
/// accuracy in [0, 1].
fn assert_accuracy_json(args: &[&str], key: &str) {
    let output = simclr(args);
    assert!(output.status.success(), "{args:?}: {}", text(&output));
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let accuracy = value[key].as_f64();
    assert!(
        accuracy.is_some_and(|v| (0.0..=1.0).contains(&v)),
        "{args:?}: {value}"
    );
}

#[test]
fn pretrain_writes_run_directory_and_evaluates() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let output = tiny_pretrain(&run, &[]);
    assert!(output.status.success(), "{}", text(&output));
    for file in [
        "config.toml",
        "metrics.jsonl",
        "encoder.safetensors",
        "loss.png",
        "checkpoint/state.json",
    ] {
        assert!(run.join(file).is_file(), "missing {file}");
    }
    let records = metrics(&run);
    let steps = step_lrs(&records);
    assert_eq!(
        steps.iter().map(|s| s.0).collect::<Vec<_>>(),
        (0..8).collect::<Vec<_>>()
    );
    let epochs: Vec<_> = records.iter().filter(|r| r["kind"] == "epoch").collect();
    assert_eq!(epochs.len(), 2);
    for record in &records {
        for key in ["epoch", "step", "loss", "lr"] {
            assert!(record.get(key).is_some(), "{key} missing in {record}");
        }
    }
    let knn = epochs[1]["knn_top1"].as_f64().expect("kNN monitor ran");
    assert!((0.0..=1.0).contains(&knn));

    let run_arg = run.to_str().unwrap();
    let output = simclr(&["eval", "knn", "--checkpoint", run_arg, "--k", "20"]);
    assert!(output.status.success(), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("top1=") && stdout.contains("top5="),
        "{stdout}"
    );

    assert_accuracy_json(
        &[
            "eval",
            "knn",
            "--checkpoint",
            run_arg,
            "--k",
            "20",
            "--random-weights",
            "--json",
        ],
        "top1",
    );

    assert_accuracy_json(
        &[
            "eval",
            "linear",
            "--checkpoint",
            run_arg,
            "--epochs",
            "2",
            "--json",
        ],
        "top1",
    );

    let finetune = [
        "finetune",
        "--checkpoint",
        run_arg,
        "--label-fraction",
        "0.01",
        "--epochs",
        "1",
        "--json",
    ];
    assert_accuracy_json(&finetune, "top5");

    let embedding = dir.path().join("test.npy");
    let output = simclr(&[
        "embed",
        "--checkpoint",
        run_arg,
        "--out",
        embedding.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(embedding.is_file());
    assert!(dir.path().join("test.labels.npy").is_file());
}

#[test]
fn resume_continues_at_the_same_step_and_lr() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    let output = tiny_pretrain(&whole, &["--no-knn-monitor"]);
    assert!(output.status.success(), "{}", text(&output));

    let parts = dir.path().join("parts");
    let output = tiny_pretrain(&parts, &["--no-knn-monitor", "--max-steps", "3"]);
    assert!(output.status.success(), "{}", text(&output));
    assert_eq!(step_lrs(&metrics(&parts)).len(), 3);
    let output = tiny_pretrain(&parts, &["--no-knn-monitor"]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("resuming"),
        "{}",
        text(&output)
    );

    let expected = step_lrs(&metrics(&whole));
    let resumed = step_lrs(&metrics(&parts));
    assert_eq!(resumed.len(), 8);
    for ((step_a, lr_a), (step_b, lr_b)) in expected.iter().zip(&resumed) {
        assert_eq!(step_a, step_b);
        assert!(
            (lr_a - lr_b).abs() < 1e-12,
            "step {step_a}: lr {lr_a} vs {lr_b}"
        );
    }
    // The same views, weights and momentum buffers give the same losses, so
    // the checkpoint restored the optimizer state as well as the model.
    let losses = |dir: &Path| -> Vec<f64> {
        metrics(dir)
            .iter()
            .filter(|r| r["kind"] == "step")
            .map(|r| r["loss"].as_f64().unwrap())
            .collect()
    };
    for (step, (a, b)) in losses(&whole).iter().zip(losses(&parts)).enumerate() {
        assert!(
            (a - b).abs() <= 1e-5 * a.abs(),
            "step {step}: loss {a} vs {b}"
        );
    }

    let output = tiny_pretrain(&parts, &["--no-knn-monitor", "--arch", "resnet34"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        text(&output).contains("model.encoder.arch"),
        "{}",
        text(&output)
    );
}

#[test]
fn bad_input_exits_with_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bad");
    let out = out.to_str().unwrap();
    let cases: [(&[&str], &str); 7] = [
        (&["--batch-size", "1"], "batch_size"),
        (&["--temperature", "0"], "temperature"),
        (&["--temperature", "-0.5"], "temperature"),
        (&["--epochs", "0"], "epochs"),
        (&["--data", "/nonexistent/data"], "/nonexistent/data"),
        (&["--data", "tarball:/tmp/x"], "tarball"),
        (&["--arch", "resnet19"], "resnet19"),
    ];
    for (flags, expected) in cases {
        let mut args = vec!["pretrain", "--out", out];
        args.extend_from_slice(flags);
        let output = simclr(&args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{flags:?}: {}",
            text(&output)
        );
        assert!(
            text(&output).contains(expected),
            "{flags:?}: {}",
            text(&output)
        );
    }
    let output = simclr(&[
        "pretrain",
        "--out",
        out,
        "--max-images",
        "8",
        "--batch-size",
        "16",
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains("8 images"), "{}", text(&output));
    let output = simclr(&["eval", "knn", "--checkpoint", "/nonexistent/run"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
}

#[test]
fn non_finite_loss_exits_with_code_1() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("diverge");
    let output = tiny_pretrain(
        &run,
        &[
            "--no-knn-monitor",
            "--optimizer",
            "sgd",
            "--base-lr",
            "1e30",
            "--warmup-epochs",
            "0",
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        text(&output).contains("non-finite loss"),
        "{}",
        text(&output)
    );
}

#[test]
fn augment_writes_a_grid() {
    let dir = tempfile::tempdir().unwrap();
    let grid = dir.path().join("grid.png");
    let output = simclr(&[
        "augment",
        "--out",
        grid.to_str().unwrap(),
        "--count",
        "3",
        "--views",
        "4",
    ]);
    assert!(output.status.success(), "{}", text(&output));
    let image = image::open(&grid).unwrap();
    assert!(
        image.height() >= 3 * 28 && image.width() >= 5 * 28,
        "{}x{}",
        image.width(),
        image.height()
    );
}

#[test]
fn interrupt_saves_a_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("interrupted");
    // 500 epochs of 4 steps, far more than the test waits for.
    let mut flags = TINY_FLAGS;
    let epochs = flags.iter().position(|f| *f == "--epochs").unwrap();
    flags[epochs + 1] = "500";
    let mut child = Command::new(env!("CARGO_BIN_EXE_simclr"))
        .args(["pretrain", "--out", run.to_str().unwrap()])
        .args(flags)
        .arg("--no-knn-monitor")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let metrics = run.join("metrics.jsonl");
    let started = std::time::Instant::now();
    while std::fs::metadata(&metrics).map_or(true, |m| m.len() == 0) {
        assert!(started.elapsed().as_secs() < 120, "no step logged in 120 s");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("checkpoint/state.json")).unwrap()).unwrap();
    let step = state["step"].as_u64().unwrap();
    assert!((1..2000).contains(&step), "checkpoint at step {step}");
}
