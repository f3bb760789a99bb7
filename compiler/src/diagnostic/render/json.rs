//! JSON rendering for tools and the editor: one object per diagnostic, positions as
//! 1-based lines and 1-based columns counted in characters.

use serde::Serialize;

use super::{clamp, file};
use crate::diagnostic::{Diagnostic, Label, Lang, Level};
use crate::source::{SourceMap, Span};

/// One diagnostic as JSON. Field order here is the order in the serialized text when
/// serialized directly (e.g. `serde_json::to_string(&json_diagnostics(…))`).
///
/// Positions: `line`/`column` are where the span starts, `end_line`/`end_column`
/// where it ends, exclusive (the position just after its last character), as in LSP
/// ranges. Lines and columns start at 1; columns count characters, not bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JsonDiagnostic {
    pub code: &'static str,
    /// `error` or `warning`.
    pub level: &'static str,
    pub message: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    /// The primary label first (`primary: true`), then the secondary ones.
    pub labels: Vec<JsonLabel>,
    pub notes: Vec<String>,
    pub help: Option<String>,
}

/// A labelled span of a [`JsonDiagnostic`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JsonLabel {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub message: Option<String>,
    pub primary: bool,
}

/// The diagnostics as serializable records, in the given order.
pub fn json_diagnostics(
    diags: &[Diagnostic],
    sources: &SourceMap,
    lang: Lang,
) -> Vec<JsonDiagnostic> {
    diags
        .iter()
        .map(|d| {
            let at = Position::of(d.primary.span, sources);
            let labels = std::iter::once((&d.primary, true))
                .chain(d.secondary.iter().map(|l| (l, false)))
                .map(|(l, primary)| json_label(l, primary, sources, lang))
                .collect();
            JsonDiagnostic {
                code: d.code,
                level: match d.level {
                    Level::Error => "error",
                    Level::Warning => "warning",
                },
                message: d.message.get(lang).to_string(),
                file: at.file,
                line: at.line,
                column: at.column,
                end_line: at.end_line,
                end_column: at.end_column,
                labels,
                notes: d.notes.iter().map(|n| n.get(lang).to_string()).collect(),
                help: d.help.as_ref().map(|h| h.get(lang).to_string()),
            }
        })
        .collect()
}

/// The diagnostics as a JSON array (see [`JsonDiagnostic`] for the fields).
///
/// A [`serde_json::Value`] object keeps its keys sorted (serde_json is built without
/// `preserve_order`); to write the fields in their declared order, serialize
/// [`json_diagnostics`] directly instead.
pub fn json(diags: &[Diagnostic], sources: &SourceMap, lang: Lang) -> serde_json::Value {
    serde_json::to_value(json_diagnostics(diags, sources, lang))
        .expect("records of strings, numbers and lists always serialize")
}

fn json_label(label: &Label, primary: bool, sources: &SourceMap, lang: Lang) -> JsonLabel {
    let at = Position::of(label.span, sources);
    JsonLabel {
        file: at.file,
        line: at.line,
        column: at.column,
        end_line: at.end_line,
        end_column: at.end_column,
        message: label.text.as_ref().map(|t| t.get(lang).to_string()),
        primary,
    }
}

/// A span as file path, start and exclusive end, 1-based, columns in characters.
struct Position {
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
}

impl Position {
    fn of(span: Span, sources: &SourceMap) -> Position {
        let Some(f) = file(sources, span.file) else {
            // A span into no known file: keep the diagnostic, with a placeholder place.
            return Position {
                file: String::new(),
                line: 1,
                column: 1,
                end_line: 1,
                end_column: 1,
            };
        };
        let range = clamp(&f.text, span);
        let (line, column) = sources.line_col(span.file, range.start as u32);
        let (end_line, end_column) = sources.line_col(span.file, range.end as u32);
        Position {
            file: f.path.clone(),
            line,
            column,
            end_line,
            end_column,
        }
    }
}
