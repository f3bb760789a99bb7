//! A temporary pack holding the standard pack's declarations (schema, tables,
//! parameters, functions) and its table CSVs, but none of its rules: tests write
//! their own rules into it. Shared by the end-to-end and differential tests.

use std::path::{Path, PathBuf};

/// Creates (afresh) `CARGO_TARGET_TMPDIR/<name>` as such a pack, with a minimal
/// heng.toml; returns its folder.
pub fn declarations_pack(name: &str) -> PathBuf {
    let stdlib = Path::new(env!("CARGO_MANIFEST_DIR")).join("../stdlib-rules");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("tables")).expect("create the pack folder");
    for f in [
        "schema.heng",
        "tables.heng",
        "params.heng",
        "functions.heng",
    ] {
        std::fs::copy(stdlib.join(f), dir.join(f)).expect("copy a standard source");
    }
    for entry in std::fs::read_dir(stdlib.join("tables")).expect("standard tables") {
        let path = entry.expect("table entry").path();
        if path.extension().is_some_and(|e| e == "csv") {
            let file = path.file_name().expect("file name");
            std::fs::copy(&path, dir.join("tables").join(file)).expect("copy a table");
        }
    }
    std::fs::write(
        dir.join("heng.toml"),
        format!("[pack]\nname = \"{name}\"\n"),
    )
    .expect("write heng.toml");
    dir
}

/// The standard declarations with `rules` in a pack named `name`, loaded.
#[allow(dead_code, reason = "not every test including this file loads rules")]
pub fn load_rules(name: &str, rules: &str) -> heng_runtime::pack::Loaded {
    let dir = declarations_pack(name);
    std::fs::write(dir.join("rules.heng"), rules).expect("write rules.heng");
    heng_runtime::pack::load(&dir, &[])
}

/// The pack `loaded` holds; panics with its diagnostics when it does not check.
#[allow(dead_code, reason = "not every test including this file loads rules")]
pub fn checked(loaded: &heng_runtime::pack::Loaded) -> &heng_runtime::pack::Pack {
    loaded
        .pack
        .as_ref()
        .unwrap_or_else(|| panic!("{:?}", loaded.diagnostics))
}
