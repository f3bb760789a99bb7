//! `[pack] imports`: the packs a pack builds on, found transitively, each loaded
//! once, deepest first (so a pack's imports come before it), cycles reported.

use super::{Manifest, display_path, read_manifest};
use heng_compiler::diagnostic::{Diagnostic, codes};
use heng_compiler::source::{FileId, SourceMap, Span};
use heng_compiler::text;
use std::path::{Component, Path, PathBuf};

/// A pack folder taking part in a load: the pack itself or one it imports.
pub(super) struct PackDir {
    /// The folder, as the user spelt it (imports: joined to the importing pack's
    /// folder, `..` resolved).
    pub dir: PathBuf,
    pub manifest: Manifest,
    pub manifest_text: String,
    pub manifest_file: FileId,
}

/// The imported packs of a load in load order (deepest first) and, for every pack
/// (the importing pack last, at index `packs.len()`), the packs it imports,
/// directly or not.
pub(super) struct Imports {
    pub packs: Vec<PackDir>,
    pub closure: Vec<Vec<usize>>,
    /// Whether an imported pack could not be read (its declarations are missing,
    /// so checking would only report their absence everywhere).
    pub missing: bool,
}

struct Walk<'a> {
    sources: &'a mut SourceMap,
    diags: &'a mut Vec<Diagnostic>,
    packs: Vec<PackDir>,
    /// Canonical folder of each loaded pack (its identity).
    ids: Vec<PathBuf>,
    closure: Vec<Vec<usize>>,
    /// The packs being walked (canonical folder, shown folder): a cycle's path.
    stack: Vec<(PathBuf, String)>,
    missing: bool,
}

/// Finds every pack `root` imports, reading their manifests; problems (a missing
/// folder or heng.toml, a cycle) are diagnostics pointing at the `imports` entry.
pub(super) fn resolve(
    root: &PackDir,
    sources: &mut SourceMap,
    diags: &mut Vec<Diagnostic>,
) -> Imports {
    let mut walk = Walk {
        sources,
        diags,
        packs: Vec::new(),
        ids: Vec::new(),
        closure: Vec::new(),
        stack: Vec::new(),
        missing: false,
    };
    let id = std::fs::canonicalize(&root.dir).unwrap_or_else(|_| root.dir.clone());
    let closure = walk.imports_of(root, id);
    walk.closure.push(closure);
    Imports {
        packs: walk.packs,
        closure: walk.closure,
        missing: walk.missing,
    }
}

impl Walk<'_> {
    /// Loads the imports of `pack` (canonical folder `id`) that are not loaded yet;
    /// returns every pack it imports, directly or not.
    fn imports_of(&mut self, pack: &PackDir, id: PathBuf) -> Vec<usize> {
        self.stack.push((id, display_path(&pack.dir)));
        let mut closure: Vec<usize> = Vec::new();
        let entries = pack
            .manifest
            .pack
            .as_ref()
            .map(|p| p.imports.as_slice())
            .unwrap_or_default();
        for entry in entries {
            let r = entry.span();
            let span = Span::new(pack.manifest_file, r.start, r.end);
            if let Some(i) = self.import(pack, entry.get_ref(), span) {
                for j in self.closure[i].iter().copied().chain([i]) {
                    if !closure.contains(&j) {
                        closure.push(j);
                    }
                }
            }
        }
        self.stack.pop();
        closure
    }

    /// The index of the pack `path` names (relative to `importer`'s folder),
    /// loading it first if need be; `None` after reporting why it cannot be.
    fn import(&mut self, importer: &PackDir, path: &str, span: Span) -> Option<usize> {
        let dir = normalize(&importer.dir.join(path));
        let shown = display_path(&dir);
        let id = match std::fs::canonicalize(&dir) {
            Ok(id) if id.is_dir() => id,
            result => {
                let message = match result {
                    Err(e) => text!(
                        "找不到导入的规则包 {}:{}",
                        "cannot find the imported pack {}: {}",
                        shown,
                        e
                    ),
                    Ok(_) => text!(
                        "导入的规则包 {} 不是文件夹",
                        "the imported pack {} is not a folder",
                        shown
                    ),
                };
                self.missing = true;
                self.diags.push(
                    Diagnostic::error(codes::PACK_IO, span, message)
                        .label(text!("在这里导入", "imported here"))
                        .help(text!(
                            "imports 中的路径相对于这个 heng.toml 所在的文件夹",
                            "paths in `imports` are relative to the folder of this heng.toml"
                        )),
                );
                return None;
            }
        };
        if let Some(at) = self.stack.iter().position(|(s, _)| *s == id) {
            let cycle: Vec<&str> = self.stack[at..]
                .iter()
                .map(|(_, shown)| shown.as_str())
                .chain([self.stack[at].1.as_str()])
                .collect();
            let cycle = cycle.join(" → ");
            self.diags.push(
                Diagnostic::error(
                    codes::IMPORT_CYCLE,
                    span,
                    text!(
                        "规则包循环导入:{}",
                        "the packs import each other in a cycle: {}",
                        cycle
                    ),
                )
                .label(text!("这个导入形成了环", "this import closes the cycle"))
                .help(text!(
                    "删掉其中一个导入;两个包都用到的声明可以放进第三个包,由它们分别导入",
                    "remove one of the imports; declarations both packs need can go into a third pack they both import"
                )),
            );
            return None;
        }
        if let Some(i) = self.ids.iter().position(|s| *s == id) {
            return Some(i); // already loaded through another import
        }
        let Some(pack) = read_manifest(&dir, self.sources, self.diags, Some(span)) else {
            self.missing = true;
            return None;
        };
        let closure = self.imports_of(&pack, id.clone());
        self.packs.push(pack);
        self.ids.push(id);
        self.closure.push(closure);
        Some(self.packs.len() - 1)
    }
}

/// `path` with `.` and `..` resolved by the text alone (as the user would read it).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::normalize;
    use std::path::Path;

    #[test]
    fn normalize_resolves_dots_by_text() {
        let n = |p: &str| normalize(Path::new(p)).display().to_string();
        assert_eq!(n("examples/city/../../stdlib-rules"), "stdlib-rules");
        assert_eq!(n("./../stdlib-rules"), "../stdlib-rules");
        assert_eq!(n("city/../.."), "..");
        assert_eq!(n("/tmp/a/../b"), "/tmp/b");
        assert_eq!(n("/.."), "/");
        assert_eq!(n("a/.."), ".");
    }
}
