//! Files the test writes, removed when it ends.

use std::path::{Path, PathBuf};

/// A file in the temporary directory, named after the test process and
/// `name` (unique within a test file), removed on drop.
pub struct TempFile(PathBuf);

impl TempFile {
    pub fn new(name: &str, contents: impl AsRef<[u8]>) -> TempFile {
        TempFile::named(
            &format!("partoo-test-{}-{name}", std::process::id()),
            contents,
        )
    }

    /// A file of exactly this name in the temporary directory.
    pub fn named(file_name: &str, contents: impl AsRef<[u8]>) -> TempFile {
        let path = std::env::temp_dir().join(file_name);
        std::fs::write(&path, contents).expect("the temporary directory is writable");
        TempFile(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// The path as a command-line argument.
    pub fn arg(&self) -> &str {
        self.0.to_str().expect("a UTF-8 temporary directory")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
