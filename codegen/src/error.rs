//! Build errors a person can act on: which file, which operation, which rule.

use std::fmt;

/// Why the spec could not be turned into a client.
#[derive(Debug)]
pub struct CodegenError {
    /// The spec file (or a label for an in-memory document).
    pub file: String,
    /// `VERB /path (operationId)` when one operation is at fault.
    pub operation: Option<String>,
    /// The rule that was broken and what to do about it.
    pub message: String,
}

impl CodegenError {
    pub fn new(file: &str, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            operation: None,
            message: message.into(),
        }
    }

    pub fn at(file: &str, operation: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            operation: Some(operation.into()),
            message: message.into(),
        }
    }
}

impl fmt::Display for CodegenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.operation {
            Some(op) => write!(f, "{}: operation {}: {}", self.file, op, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for CodegenError {}
