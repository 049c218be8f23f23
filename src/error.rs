//! Error kinds that decide the process exit code.
//!
//! Everything fallible in the crate returns `anyhow::Result`; the few errors whose *kind*
//! matters to the caller are typed here and found again by `exit_code` walking the chain.
//! Input problems carry the file, line and column so a user can open the file and fix it.

use std::fmt;
use std::path::{Path, PathBuf};

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: bad input file or runtime failure.
pub const EXIT_ERROR: u8 = 1;
/// Exit code: bad command-line usage.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: a quality gate failed.
pub const EXIT_GATE: u8 = 3;

/// A problem with the contents of an input file, pinned to where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub file: PathBuf,
    /// 1-based line of the record (the header is line 1), when the problem has one.
    pub line: Option<u64>,
    /// 1-based column number and its header name, when the problem has one.
    pub column: Option<(usize, String)>,
    /// What was wrong and what was expected.
    pub message: String,
}

impl InputError {
    pub fn file(file: &Path, message: impl Into<String>) -> Self {
        InputError { file: file.to_path_buf(), line: None, column: None, message: message.into() }
    }

    pub fn at(file: &Path, line: Option<u64>, message: impl Into<String>) -> Self {
        InputError { file: file.to_path_buf(), line, column: None, message: message.into() }
    }

    pub fn cell(file: &Path, line: Option<u64>, column: usize, header: &str, message: impl Into<String>) -> Self {
        InputError {
            file: file.to_path_buf(),
            line,
            column: Some((column + 1, header.to_string())),
            message: message.into(),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        if let Some((n, name)) = &self.column {
            write!(f, ", column {n} ({name:?})")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for InputError {}

/// The command line asked for something impossible or contradictory (exit code 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// A quality gate was not met (exit code 3).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("quality gate failed: {0}")]
pub struct GateError(pub String);

/// The exit code an error maps to, decided by the first typed error in its chain.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if cause.is::<UsageError>() {
            return EXIT_USAGE;
        }
        if cause.is::<GateError>() {
            return EXIT_GATE;
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::BrokenPipe
        {
            return EXIT_OK;
        }
    }
    EXIT_ERROR
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_error_names_file_line_and_column() {
        let e = InputError::cell(Path::new("leads.csv"), Some(7), 2, "value", "expected a number");
        assert_eq!(e.to_string(), "leads.csv, line 7, column 3 (\"value\"): expected a number");
    }

    #[test]
    fn exit_codes_follow_the_chain() {
        let usage = anyhow::Error::new(UsageError("bad".into())).context("while parsing");
        assert_eq!(exit_code(&usage), EXIT_USAGE);
        let gate = anyhow::Error::new(GateError("auc".into()));
        assert_eq!(exit_code(&gate), EXIT_GATE);
        let input = anyhow::Error::new(InputError::file(Path::new("x.csv"), "empty"));
        assert_eq!(exit_code(&input), EXIT_ERROR);
        let pipe = anyhow::Error::new(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert_eq!(exit_code(&pipe), EXIT_OK);
    }
}
