//! Progress bars of the evaluation loops.

use indicatif::{ProgressBar, ProgressStyle};

/// Builds a bar of `len` steps on stderr with `prefix` before it.
///
/// indicatif 0.17 draws nothing when stderr is not a terminal, so logs
/// redirected to a file stay free of bar updates.
pub(crate) fn progress_bar(len: usize, prefix: &str) -> ProgressBar {
    let bar = ProgressBar::new(len as u64);
    let template = "{prefix} [{bar:30}] {pos}/{len} {msg} ({elapsed}, eta {eta})";
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(prefix.to_string());
    bar
}
