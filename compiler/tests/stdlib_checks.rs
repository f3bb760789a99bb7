//! The standard pack's sources check without errors.

use heng_compiler::check::check;
use heng_compiler::source::SourceMap;
use std::path::Path;

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).expect("readable dir") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "heng") {
            out.push(p);
        }
    }
}

#[test]
fn standard_pack_checks_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../stdlib-rules");
    let mut files = Vec::new();
    collect(&root, &mut files);
    files.sort();
    let mut sources = SourceMap::default();
    for f in &files {
        sources.add(
            f.display().to_string(),
            std::fs::read_to_string(f).expect("readable"),
        );
    }
    let checked = check(&mut sources);
    let errors: Vec<String> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| {
            let (l, c) = sources.line_col(d.primary.span.file, d.primary.span.start);
            format!(
                "{}:{l}:{c} {} {}",
                sources.get(d.primary.span.file).path,
                d.code,
                d.message.en
            )
        })
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    assert!(!checked.program.rules.is_empty());
}
