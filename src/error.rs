//! The library's error type.
//!
//! Every variant names the value that was wrong. [`Error::is_bad_input`]
//! separates mistakes in what the user gave (a bad flag, a missing file, a
//! malformed dataset) from failures while running, so the binary can map them
//! to exit codes 2 and 1.

use std::path::PathBuf;

/// Result with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A configuration value outside its valid range.
    #[error("invalid {field}: {message}")]
    InvalidConfig { field: String, message: String },

    /// A dataset or image file that is missing, malformed or of the wrong size.
    #[error("{}: {message}", path.display())]
    InvalidData { path: PathBuf, message: String },

    /// An I/O failure on a named file. The message includes the cause, so
    /// the cause is not also reported as a source.
    #[error("{}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },

    /// Tensors or weights whose shapes do not fit together.
    #[error("shape mismatch in {op}: {message}")]
    Shape { op: String, message: String },

    /// A failure while running, such as a non-finite loss.
    #[error("{0}")]
    Runtime(String),
}

impl Error {
    /// Builds an [`Error::InvalidConfig`] for the named field.
    pub fn config(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidConfig {
            field: field.into(),
            message: message.into(),
        }
    }

    /// Builds an [`Error::InvalidData`] for the given path.
    pub fn data(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::InvalidData {
            path: path.into(),
            message: message.into(),
        }
    }

    /// Builds an [`Error::Io`] for the given path.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            error: source,
        }
    }

    /// Reports whether the error comes from the user's input rather than
    /// from a failure while running.
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, Error::Runtime(_))
    }
}
