//! What the language server checks (`heng lsp`, and W6 of `heng bench`): a pack
//! loaded as `heng check` loads it, with the texts an editor has open in place
//! of the files on disk.

use crate::eval::display;
use crate::pack::load_open;
use heng_lsp::Checked;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Checks the pack in `root`, reading the files in `open` (by absolute path)
/// from it: the sources, diagnostics and program the server needs, and each
/// parameter's value in effect (shown on hover).
pub fn check_open(root: &Path, open: HashMap<PathBuf, String>) -> Checked {
    let loaded = load_open(root, open);
    let param_values = loaded.pack.as_ref().map_or_else(Vec::new, |pack| {
        let program = &pack.program;
        let decls = program.params.iter();
        decls
            .zip(&pack.params)
            .map(|(p, v)| display(v, &p.ty, program))
            .collect()
    });
    Checked {
        sources: loaded.sources,
        diagnostics: loaded.diagnostics,
        program: loaded.pack.map(|p| p.program),
        param_values,
    }
}
