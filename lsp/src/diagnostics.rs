//! Compiler diagnostics as the editor shows them: the primary label's span is
//! the range, the code links to `heng explain-error`, secondary labels become
//! related information, and notes and help follow the message.

use crate::position::{Encoding, position};
use heng_compiler::diagnostic::{Diagnostic, Lang, Level};
use heng_compiler::source::{SourceMap, Span};
use lsp_types::{
    DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Range, Url,
};

/// `d` for the editor; `uri` names a source file's document (`None`: a file
/// that is not one, such as `--param`).
pub fn to_lsp(
    d: &Diagnostic,
    sources: &SourceMap,
    uri: &dyn Fn(heng_compiler::source::FileId) -> Option<Url>,
    lang: Lang,
    encoding: Encoding,
) -> lsp_types::Diagnostic {
    let mut message = d.message.get(lang).to_string();
    if let Some(label) = &d.primary.text {
        message = format!("{message}: {}", label.get(lang));
    }
    for note in &d.notes {
        message = format!("{message}\n{}", note.get(lang));
    }
    if let Some(help) = &d.help {
        let help_word = match lang {
            Lang::Zh => "提示",
            Lang::En => "help",
        };
        message = format!("{message}\n{help_word}: {}", help.get(lang));
    }
    let related: Vec<DiagnosticRelatedInformation> = d
        .secondary
        .iter()
        .filter_map(|l| {
            Some(DiagnosticRelatedInformation {
                location: Location::new(uri(l.span.file)?, range(sources, l.span, encoding)),
                message: l.text.as_ref().map_or("", |t| t.get(lang)).to_string(),
            })
        })
        .collect();
    lsp_types::Diagnostic {
        range: range(sources, d.primary.span, encoding),
        severity: Some(match d.level {
            Level::Error => DiagnosticSeverity::ERROR,
            Level::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(d.code.to_string())),
        source: Some("heng".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..lsp_types::Diagnostic::default()
    }
}

/// The editor's range of `span`.
pub fn range(sources: &SourceMap, span: Span, encoding: Encoding) -> Range {
    let text = &sources.get(span.file).text;
    let r = span.range();
    Range::new(
        position(text, r.start, encoding),
        position(text, r.end, encoding),
    )
}
