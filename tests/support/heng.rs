//! Running the `heng` binary as a user would, from the repository root with
//! English messages.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root, where the README's commands run.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A fresh folder for test `name` of the test file `file` (`run`, `settle`, …)
/// in the system's temporary folder.
#[allow(dead_code, reason = "not every test file writes files")]
pub fn out_dir(file: &str, name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("heng-cli-{file}-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).expect("create the test's folder");
    d
}

/// The `--summary` JSON written at `path`.
#[allow(dead_code, reason = "not every test file reads a summary")]
pub fn summary(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).expect("read the summary");
    serde_json::from_str(&text).expect("the summary is JSON")
}

/// `heng ARGS…` in the repository root.
pub fn heng(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_heng"))
        .current_dir(root())
        .env("HENG_LANG", "en")
        .args(args)
        .output()
        .expect("run heng")
}
