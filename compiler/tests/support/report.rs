//! Checking a snippet as an analyst's rule file beside the standard pack's
//! declarations, and snapshotting what the checker says about it in both
//! languages: shared by the diagnostics test files.

use heng_compiler::check::check;
use heng_compiler::diagnostic::render::terminal;
use heng_compiler::diagnostic::{Diagnostic, Lang};
use heng_compiler::source::{FileId, SourceMap};

#[path = "assert_reported.rs"]
mod assert_reported;

/// The standard pack's declarations every example is checked against.
const DECLARATIONS: [(&str, &str); 4] = [
    (
        "schema.heng",
        include_str!("../../../stdlib-rules/schema.heng"),
    ),
    (
        "tables.heng",
        include_str!("../../../stdlib-rules/tables.heng"),
    ),
    (
        "params.heng",
        include_str!("../../../stdlib-rules/params.heng"),
    ),
    (
        "functions.heng",
        include_str!("../../../stdlib-rules/functions.heng"),
    ),
];

/// Path of the snippet under test.
const EXAMPLE: &str = "rules/example.heng";

/// Warnings the declarations alone raise (their tables and parameters are used by
/// the standard rules, which are not loaded here).
const DECLARATION_WARNINGS: [&str; 2] = ["H0040", "H0041"];

/// Checks `src` as `rules/example.heng` beside the standard declarations and returns
/// the codes of its diagnostics and the text to snapshot: the source, then the Chinese
/// and the English rendering of the diagnostics that point into the example.
pub fn report(src: &str) -> (Vec<&'static str>, String) {
    let mut map = SourceMap::default();
    for (path, text) in DECLARATIONS {
        map.add(path, text);
    }
    let example = map.add(EXAMPLE, src);
    let checked = check(&mut map);
    let (mine, others): (Vec<Diagnostic>, Vec<Diagnostic>) = checked
        .diagnostics
        .into_iter()
        .partition(|d| d.primary.span.file == example);
    for d in &others {
        assert!(
            in_declarations(d, example) || DECLARATION_WARNINGS.contains(&d.code),
            "unexpected diagnostic outside the example: {} {}",
            d.code,
            d.message.en
        );
    }
    let codes = mine.iter().map(|d| d.code).collect();
    let out = format!(
        "----- {EXAMPLE} -----\n{src}\n----- 中文 -----\n{}\n----- English -----\n{}",
        terminal(&mine, &map, Lang::Zh, false),
        terminal(&mine, &map, Lang::En, false),
    );
    (codes, out)
}

/// A diagnostic the example causes in a declaration file (e.g. a duplicate whose
/// primary span is the standard one) is accepted when it names the example.
fn in_declarations(d: &Diagnostic, example: FileId) -> bool {
    d.secondary.iter().any(|l| l.span.file == example)
}

/// `assert_diagnostic!(CODE, src)`: checks `src`, asserts `CODE` is among its
/// diagnostics and snapshots the source with its renderings under the test's name.
#[macro_export]
macro_rules! assert_diagnostic {
    ($code:literal, $src:expr) => {
        $crate::assert_reported!($code, $crate::report::report($src))
    };
}
