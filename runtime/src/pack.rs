//! Loading a rule pack from disk: `heng.toml`, the packs it imports, every `.heng`
//! source (the imported packs' first, each pack's sorted by path, so rule order is
//! stable), the compiler's check, parameter overrides and the knowledge-base
//! tables. Everything that can go wrong becomes a diagnostic.

mod imports;

mod map_override;

use crate::table::{Table, load_table};
use crate::value::Value;
use heng_compiler::check::{self, value_text::parse_const};
use heng_compiler::diagnostic::{Diagnostic, codes};
use heng_compiler::ir::Program;
use heng_compiler::source::{SourceMap, Span};
use heng_compiler::text;
use map_override::Given;
use std::path::{Path, PathBuf};

/// A checked pack with its parameter values and tables, ready to evaluate.
#[derive(Clone, Debug)]
pub struct Pack {
    pub name: String,
    pub program: Program,
    /// Parameter values in `program.params` order (defaults, then overrides).
    pub params: Vec<Value>,
    pub tables: Vec<Table>,
    /// Index of `feedetail` in the Visit record.
    pub feedetail: usize,
    /// Ids of rules the manifest disables.
    pub disabled: Vec<String>,
    /// Ids of the rules that come from imported packs (not the pack's own).
    pub imported_rules: Vec<String>,
}

/// What loading produced: the pack if nothing was an error, and all diagnostics.
pub struct Loaded {
    pub pack: Option<Pack>,
    pub sources: SourceMap,
    pub diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Manifest {
    pack: Option<PackSection>,
    #[serde(default)]
    params: toml::Table,
    #[serde(default)]
    rules: RulesSection,
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RulesSection {
    /// Rule ids not evaluated by this pack.
    #[serde(default)]
    disable: Vec<String>,
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PackSection {
    name: Option<String>,
    /// Folders of the packs this one builds on, relative to its own folder.
    #[serde(default)]
    imports: Vec<toml::Spanned<String>>,
    #[allow(dead_code, reason = "shown by future `heng build` artefacts")]
    version: Option<String>,
    #[allow(dead_code, reason = "documentation for readers of heng.toml")]
    description: Option<String>,
}

thread_local! {
    /// The texts [`load_open`] reads instead of the files at their paths.
    static OPEN: std::cell::RefCell<std::collections::HashMap<PathBuf, String>> =
        std::cell::RefCell::default();
}

/// The text of the pack file at `path`: an editor's unsaved text during
/// [`load_open`], else the file's.
fn read_text(path: &Path) -> std::io::Result<String> {
    let open = OPEN.with_borrow(|open| {
        std::path::absolute(path)
            .ok()
            .and_then(|p| open.get(&p).cloned())
    });
    open.map_or_else(|| std::fs::read_to_string(path), Ok)
}

fn display_path(p: &Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    p.strip_prefix(&cwd).unwrap_or(p).display().to_string()
}

/// The `.heng` files of a pack folder; a sub-folder with its own heng.toml is
/// another pack (it can be imported), not part of this one.
fn heng_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            if !name.starts_with('.')
                && name != "tables"
                && name != "fixtures"
                && name != "target"
                && !path.join("heng.toml").exists()
            {
                heng_files(&path, out)?;
            }
        } else if name.ends_with(".heng") {
            out.push(path);
        }
    }
    Ok(())
}

/// An error about the pack as a whole (no source text to point into).
fn pack_error(
    sources: &mut SourceMap,
    path: &str,
    code: &'static str,
    msg: heng_compiler::diagnostic::Text,
) -> Diagnostic {
    let file = sources.add(path, "");
    Diagnostic::error(code, Span::new(file, 0, 0), msg)
}

/// Reads and parses `dir/heng.toml`. `None` if it cannot be read: an error, at
/// `imported_at` (the `imports` entry) for an imported pack. A manifest that is not
/// valid TOML is an error and reads as empty.
fn read_manifest(
    dir: &Path,
    sources: &mut SourceMap,
    diags: &mut Vec<Diagnostic>,
    imported_at: Option<Span>,
) -> Option<imports::PackDir> {
    let manifest_path = dir.join("heng.toml");
    let shown_manifest = display_path(&manifest_path);
    let manifest_text = match read_text(&manifest_path) {
        Ok(t) => t,
        Err(e) => {
            let message = text!("无法读取 {}:{}", "cannot read {}: {}", shown_manifest, e);
            let d = match imported_at {
                None => pack_error(sources, &shown_manifest, codes::PACK_IO, message),
                Some(span) => Diagnostic::error(codes::PACK_IO, span, message)
                    .label(text!("在这里导入", "imported here")),
            };
            diags.push(d.help(text!(
                "规则包是一个包含 heng.toml 和 .heng 文件的目录",
                "a pack is a folder holding heng.toml and .heng files"
            )));
            return None;
        }
    };
    let manifest_file = sources.add(shown_manifest, manifest_text.clone());
    let manifest: Manifest = match toml::from_str(&manifest_text) {
        Ok(m) => m,
        Err(e) => {
            let span = e.span().map_or(Span::new(manifest_file, 0, 0), |r| {
                Span::new(manifest_file, r.start, r.end)
            });
            diags.push(
                Diagnostic::error(
                    codes::BAD_MANIFEST,
                    span,
                    text!("heng.toml 有误:{}", "invalid heng.toml: {}", e.message()),
                )
                .label(text!("这里", "here")),
            );
            Manifest::default()
        }
    };
    Some(imports::PackDir {
        dir: dir.to_path_buf(),
        manifest,
        manifest_text,
        manifest_file,
    })
}

/// Adds the `.heng` files of the pack in `dir` to `sources`, sorted by path.
fn add_sources(dir: &Path, sources: &mut SourceMap, diags: &mut Vec<Diagnostic>) {
    let mut files = Vec::new();
    if let Err(e) = heng_files(dir, &mut files) {
        let shown = display_path(dir);
        diags.push(pack_error(
            sources,
            &shown,
            codes::PACK_IO,
            text!("无法读取目录 {}:{}", "cannot read folder {}: {}", shown, e),
        ));
    }
    files.sort();
    for f in &files {
        let shown = display_path(f);
        match read_text(f) {
            Ok(t) => {
                sources.add(shown, t);
            }
            Err(e) => diags.push(pack_error(
                sources,
                &shown,
                codes::PACK_IO,
                text!("无法读取 {}:{}", "cannot read {}: {}", shown, e),
            )),
        }
    }
}

/// [`load`], reading the pack files an editor has open (by absolute path) from
/// `open` rather than from disk: what the language server checks as the user types.
pub fn load_open(dir: &Path, open: std::collections::HashMap<PathBuf, String>) -> Loaded {
    OPEN.set(open);
    let loaded = load(dir, &[]);
    OPEN.with_borrow_mut(std::collections::HashMap::clear);
    loaded
}

/// Loads the pack in `dir` with the packs it imports, applying `overrides`
/// (`NAME=VALUE`) after the heng.toml files.
pub fn load(dir: &Path, overrides: &[(String, String)]) -> Loaded {
    let mut sources = SourceMap::default();
    let mut diags = Vec::new();
    let Some(root) = read_manifest(dir, &mut sources, &mut diags, None) else {
        return Loaded {
            pack: None,
            sources,
            diagnostics: diags,
        };
    };
    // the imported packs' sources first (deepest first), then the pack's own
    let imports = imports::resolve(&root, &mut sources, &mut diags);
    if imports.missing {
        return Loaded {
            pack: None,
            sources,
            diagnostics: diags,
        };
    }
    let mut packs = heng_compiler::check::Packs {
        imports: imports.closure.clone(),
        ..Default::default()
    };
    for (i, pack_dir) in imports
        .packs
        .iter()
        .map(|p| p.dir.as_path())
        .chain([dir])
        .enumerate()
    {
        let first = sources.files().count();
        add_sources(pack_dir, &mut sources, &mut diags);
        for (file, _) in sources.files().skip(first) {
            packs.of_file.insert(file, i);
        }
    }
    let imports::PackDir {
        manifest,
        manifest_text,
        manifest_file,
        ..
    } = root;
    let shown_manifest = display_path(&dir.join("heng.toml"));
    let checked = check::check_packs(&mut sources, &packs);
    diags.extend(checked.diagnostics);
    let program = checked.program;
    let own = imports.packs.len();
    let pack_of = |span: Span| packs.of_file.get(&span.file).copied().unwrap_or(own);

    // parameters: defaults, then the imported packs' heng.toml (deepest first), then
    // the pack's own, then the command line
    let mut params: Vec<Value> = program
        .params
        .iter()
        .map(|p| crate::eval::const_value(&p.default))
        .collect();
    let imported_params = imports
        .packs
        .iter()
        .map(|p| (&p.manifest.params, &p.manifest_text, p.manifest_file));
    for (name, value, manifest_text, manifest_file) in imported_params
        .chain([(&manifest.params, &manifest_text, manifest_file)])
        .flat_map(|(params, text, file)| params.iter().map(move |(n, v)| (n, v, text, file)))
    {
        let given = match value {
            toml::Value::Table(t) => {
                Given::Entries(t.iter().map(|(k, v)| (k.clone(), toml_text(v))).collect())
            }
            other => Given::Text(toml_text(other)),
        };
        let span = find_key_span(manifest_text, name).map_or(Span::new(manifest_file, 0, 0), |r| {
            Span::new(manifest_file, r.start, r.end)
        });
        if let Err(d) = set_param(&program, &mut params, name, &given, span) {
            diags.push(*d);
        }
    }
    for (name, value) in overrides {
        let file = sources.add("--param", format!("{name}={value}"));
        let span = Span::new(file, 0, name.len() + 1 + value.len());
        let given = Given::Text(value.clone());
        if let Err(d) = set_param(&program, &mut params, name, &given, span) {
            diags.push(*d);
        }
    }

    let feedetail = match program
        .visit
        .map(|v| program.record(v))
        .and_then(|r| r.field("feedetail"))
    {
        Some(i) => i,
        None => {
            if !diags.iter().any(Diagnostic::is_error) {
                diags.push(pack_error(
                    &mut sources,
                    &shown_manifest,
                    codes::BAD_SCHEMA,
                    text!(
                        "规则包缺少 `record Visit` 及其 `feedetail` 字段",
                        "the pack has no `record Visit` with a `feedetail` field"
                    ),
                ));
            }
            0
        }
    };

    // tables
    let mut tables = Vec::new();
    for (i, decl) in program.tables.iter().enumerate() {
        // the CSV of the pack that declares the table, unless a pack importing it
        // (the pack itself first) has its own
        let declared_in = pack_of(decl.span);
        let csv = |p: usize| {
            let dir = imports.packs.get(p).map_or(dir, |p| &p.dir);
            dir.join("tables").join(format!("{}.csv", decl.file))
        };
        let path = (0..=own)
            .rev()
            .filter(|&p| p != declared_in && packs.imports[p].contains(&declared_in))
            .map(csv)
            .find(|p| p.is_file())
            .unwrap_or_else(|| csv(declared_in));
        let shown = display_path(&path);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let file = sources.add(shown, text.clone());
                match load_table(
                    &program,
                    heng_compiler::types::TableId(i as u32),
                    file,
                    &text,
                ) {
                    Ok(t) => tables.push(t),
                    Err(d) => {
                        diags.extend(d);
                        tables.push(Table::default());
                    }
                }
            }
            Err(e) => {
                diags.push(
                    Diagnostic::error(
                        codes::TABLE_MISSING,
                        decl.span,
                        text!(
                            "找不到表 `{}` 的文件 {}:{}",
                            "table `{}`: cannot read {}: {}",
                            decl.name,
                            shown,
                            e
                        ),
                    )
                    .label(text!("表在这里声明", "table declared here"))
                    .help(text!(
                        "把表放在规则包的 tables/{}.csv",
                        "put the table at tables/{}.csv in the pack",
                        decl.file
                    )),
                );
                tables.push(Table::default());
            }
        }
    }

    heng_compiler::diagnostic::sort(&mut diags);
    let name = manifest
        .pack
        .and_then(|p| p.name)
        .unwrap_or_else(|| display_path(dir));
    // `[rules] disable` of each pack, for the rules it sees (its own and its
    // imports'; not one a pack importing it replaces)
    let mut disabled: Vec<String> = Vec::new();
    let imported_disables = imports
        .packs
        .iter()
        .map(|p| (&p.manifest.rules.disable, &p.manifest_text, p.manifest_file));
    for (p, (ids, manifest_text, manifest_file)) in imported_disables
        .chain([(&manifest.rules.disable, &manifest_text, manifest_file)])
        .enumerate()
    {
        for id in ids {
            if let Some(rule) = program.rules.iter().find(|r| &r.id == id) {
                let from = pack_of(rule.span);
                if (from == p || packs.imports[p].contains(&from)) && !disabled.contains(id) {
                    disabled.push(id.clone());
                }
                continue;
            }
            let span = find_key_span(manifest_text, "disable")
                .map_or(Span::new(manifest_file, 0, 0), |r| {
                    Span::new(manifest_file, r.start, r.end)
                });
            diags.push(
                Diagnostic::error(
                    codes::BAD_MANIFEST,
                    span,
                    text!(
                        "要停用的规则 `{}` 不存在",
                        "cannot disable unknown rule `{}`",
                        id
                    ),
                )
                .label(text!("这里", "here")),
            );
        }
    }
    let imported_rules = program
        .rules
        .iter()
        .filter(|r| pack_of(r.span) != own)
        .map(|r| r.id.clone())
        .collect();
    let ok = !diags.iter().any(Diagnostic::is_error);
    let pack = ok.then_some(Pack {
        name,
        program,
        params,
        tables,
        feedetail,
        disabled,
        imported_rules,
    });
    Loaded {
        pack,
        sources,
        diagnostics: diags,
    }
}

impl Pack {
    /// The input schema of a run of this pack: the values of the fields that its
    /// active rules, and when `settling` its settlement, read are kept; the others
    /// are checked as strictly and left absent (see
    /// [`crate::input::check_schema_keeping`]), so a run builds no value nothing
    /// reads.
    pub fn input_schema(
        &self,
        settling: bool,
    ) -> Result<crate::input::Schema, heng_compiler::diagnostic::Text> {
        let program = &self.program;
        let rules = self.active_rules().flat_map(|(_, r)| r.exprs());
        let settlement = program
            .settlement
            .iter()
            .filter(|_| settling)
            .flat_map(|s| s.exprs());
        let read = program.fields_read(rules.chain(settlement));
        crate::input::check_schema_keeping(program, &|r, i| read.contains(&(r, i)))
    }

    /// The same pack with only the active rules `keep` accepts left active.
    pub fn only(&self, keep: impl Fn(&heng_compiler::ir::Rule) -> bool) -> Pack {
        let mut pack = self.clone();
        pack.disabled.extend(
            self.active_rules()
                .filter(|(_, r)| !keep(r))
                .map(|(_, r)| r.id.clone()),
        );
        pack
    }

    /// The active rules evaluated visit by visit (`each line`, `each visit`): all
    /// but the `each group` indicators.
    pub fn visit_rules(&self) -> impl Iterator<Item = (usize, &heng_compiler::ir::Rule)> {
        self.active_rules()
            .filter(|(_, r)| r.scope != heng_compiler::ir::Scope::Group)
    }

    /// The active `each group` rules (indicators over groups of visits).
    pub fn group_rules(&self) -> impl Iterator<Item = (usize, &heng_compiler::ir::Rule)> {
        self.active_rules()
            .filter(|(_, r)| r.scope == heng_compiler::ir::Scope::Group)
    }

    /// The rules this pack evaluates (not disabled), with their indices, in order.
    pub fn active_rules(&self) -> impl Iterator<Item = (usize, &heng_compiler::ir::Rule)> {
        self.program
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| !self.disabled.contains(&r.id))
    }
}

/// A TOML value as override text (strings without their quotes).
fn toml_text(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn set_param(
    program: &Program,
    params: &mut [Value],
    name: &str,
    given: &Given,
    span: Span,
) -> Result<(), Box<Diagnostic>> {
    let Some(i) = program.param_index(name) else {
        let names: Vec<&str> = program.params.iter().map(|p| p.name.as_str()).collect();
        let mut d = Diagnostic::error(
            codes::BAD_PARAM_OVERRIDE,
            span,
            text!(
                "规则包没有参数 `{}`",
                "the pack has no parameter `{}`",
                name
            ),
        )
        .label(text!("未知参数", "unknown parameter"));
        d = match check::similar::closest(name, names.iter().copied()) {
            Some(s) => d.help(text!("是不是 `{}`?", "did you mean `{}`?", s)),
            None => d.help(text!("可用的参数:{}", "parameters: {}", names.join(", "))),
        };
        return Err(Box::new(d));
    };
    let decl = &program.params[i];
    let parsed = match (&decl.key, given) {
        (Some(key), given) => map_override::merge(program, decl, key, &params[i], given),
        (None, Given::Text(value)) => {
            parse_const(program, &decl.ty, value).map(|c| crate::eval::const_value(&c))
        }
        (None, Given::Entries(_)) => Err(text!(
            "参数 `{}` 不按键取值,不能给一张表",
            "parameter `{}` is not keyed: give a value, not a table",
            name
        )),
    };
    match parsed {
        Ok(v) => {
            params[i] = v;
            Ok(())
        }
        Err(msg) => Err(Box::new(
            Diagnostic::error(
                codes::BAD_PARAM_OVERRIDE,
                span,
                text!(
                    "参数 `{}` 的值有误",
                    "invalid value for parameter `{}`",
                    name
                ),
            )
            .label(msg)
            .secondary(
                decl.span,
                text!("参数在这里声明", "parameter declared here"),
            ),
        )),
    }
}

/// Byte range of `key = …` (or `"key" = …`) in a TOML text (for pointing at an
/// override).
fn find_key_span(text: &str, key: &str) -> Option<std::ops::Range<usize>> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let quoted = format!("\"{key}\"");
        if let Some(rest) = trimmed
            .strip_prefix(key)
            .or_else(|| trimmed.strip_prefix(quoted.as_str()))
            && rest.trim_start().starts_with('=')
        {
            let start = offset + (line.len() - trimmed.len());
            return Some(start..offset + line.trim_end().len());
        }
        offset += line.len();
    }
    None
}
