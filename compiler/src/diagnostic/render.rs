//! Renders diagnostics for terminals (ariadne) and as JSON for tools and the editor.
//!
//! Both renderers are pure: they take the diagnostics and the [`SourceMap`] they point
//! into and return a value; printing is the caller's business.
//!
//! - [`terminal`]: one ariadne report per diagnostic, headed `error[H0012]: …`
//!   (`错误[H0012]: …` in Chinese), followed by a summary line such as
//!   `2 个错误,1 个警告` / `2 errors, 1 warning`.
//! - [`json`] / [`json_diagnostics`]: one object per diagnostic with 1-based lines and
//!   character columns.

mod json;
mod terminal;
#[cfg(test)]
mod tests;

pub use json::{JsonDiagnostic, JsonLabel, json, json_diagnostics};
pub use terminal::terminal;

use std::ops::Range;

use super::{Diagnostic, Lang, Level};
use crate::source::{FileId, SourceFile, SourceMap, Span};

/// `error`/`warning`, or `错误`/`警告`.
fn level_word(level: Level, lang: Lang) -> &'static str {
    match (level, lang) {
        (Level::Error, Lang::Zh) => "错误",
        (Level::Error, Lang::En) => "error",
        (Level::Warning, Lang::Zh) => "警告",
        (Level::Warning, Lang::En) => "warning",
    }
}

/// The closing line of a terminal report: `2 个错误,1 个警告` / `2 errors, 1 warning`;
/// `None` when there is nothing to report.
pub fn summary(diags: &[Diagnostic], lang: Lang) -> Option<String> {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    let part = |n: usize, level: Level| -> Option<String> {
        (n > 0).then(|| match lang {
            Lang::Zh => format!("{n} 个{}", level_word(level, lang)),
            Lang::En => {
                let plural = if n == 1 { "" } else { "s" };
                format!("{n} {}{plural}", level_word(level, lang))
            }
        })
    };
    let parts: Vec<String> = [part(errors, Level::Error), part(warnings, Level::Warning)]
        .into_iter()
        .flatten()
        .collect();
    if parts.is_empty() {
        return None;
    }
    let sep = match lang {
        Lang::Zh => ",",
        Lang::En => ", ",
    };
    Some(parts.join(sep))
}

/// The file with this id, if the map has one.
fn file(map: &SourceMap, id: FileId) -> Option<&SourceFile> {
    map.files().nth(id.0 as usize).map(|(_, f)| f)
}

/// A span's byte range, clamped into `text` and moved onto character boundaries.
/// An empty span at the very end of a file that ends with a line break (an unexpected
/// end of file) is moved before that line break, so it points at the end of the last
/// line rather than at an empty line past it.
fn clamp(text: &str, span: Span) -> Range<usize> {
    if span.start == span.end && span.start as usize >= text.len() {
        let trimmed = text
            .strip_suffix('\n')
            .map(|t| t.strip_suffix('\r').unwrap_or(t));
        if let Some(t) = trimmed {
            return t.len()..t.len();
        }
    }
    let floor = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let ceil = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i += 1;
        }
        i
    };
    let start = floor(span.start as usize);
    let end = ceil(span.end as usize).max(start);
    start..end
}
