//! Running the `heng` binary as a user would, from the repository root with
//! English messages.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root, where the README's commands run.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
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
