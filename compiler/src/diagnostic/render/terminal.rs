//! Terminal rendering with ariadne: source excerpts with labelled, underlined spans.
//!
//! How the output is made to fit Heng rather than ariadne's defaults:
//!
//! - **Character spans.** Heng spans are byte ranges; they are clamped to the file and
//!   to character boundaries (a malformed span cannot panic here) and converted to
//!   character offsets, ariadne's default [`IndexType::Char`]. ariadne 0.6's
//!   [`IndexType::Byte`] is not used: with it, the `file:line:col` of an excerpt in a
//!   file other than the primary's is computed from a character offset read as a byte
//!   offset, which is wrong as soon as that file has Chinese text before the label.
//! - **CJK alignment.** ariadne draws each source character and the underline below it
//!   with the character's display width (`unicode-width`): a Chinese character takes two
//!   terminal cells and so does its underline, so carets under or after Chinese text
//!   line up in a monospace terminal. The tests `cjk_*` pin this down.
//! - **Header.** ariadne's header (`[code] Error: msg`) is dropped and replaced by
//!   `error[H0012]: msg` / `错误[H0012]: msg`.
//! - **Help and notes.** ariadne hard-codes `Help:` and `Note:`; the rendered lines are
//!   relabelled `help:`/`帮助:` and `note:`/`注意:`. The replacement words have the
//!   same display width, so ariadne's indentation of continuation lines still fits.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;

use ariadne::{Cache, Color, Config, Fmt, IndexType, Label, Report, ReportKind, Source};

use super::{clamp, file, level_word, summary};
use crate::diagnostic::{Diagnostic, Lang, Level};
use crate::source::{FileId, SourceFile, SourceMap, Span};

/// Renders diagnostics for a terminal, each as a source excerpt with its labels, notes
/// and help, then a summary line (`2 个错误,1 个警告`) when there is any diagnostic.
/// With `color` false the output is plain text (no ANSI escapes).
pub fn terminal(diags: &[Diagnostic], sources: &SourceMap, lang: Lang, color: bool) -> String {
    let mut cache = SourceCache::new(sources);
    let mut out = String::new();
    for diag in diags {
        render_one(diag, &mut cache, lang, color, &mut out);
        out.push('\n');
    }
    if let Some(line) = summary(diags, lang) {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// Label order of the first label in another file than the primary's: after every
/// character offset of the primary's file that an `i32` can hold.
const MAX_ORDER: i32 = i32::MAX / 2;

/// ariadne's colour for help and note words (its `note_color`).
const NOTE_COLOR: Color = Color::Fixed(115);
/// Colour of secondary labels (a calm blue, apart from the level's red or yellow).
const SECONDARY_COLOR: Color = Color::Fixed(75);

fn render_one(
    diag: &Diagnostic,
    cache: &mut SourceCache<'_>,
    lang: Lang,
    color: bool,
    out: &mut String,
) {
    let level_color = match diag.level {
        Level::Error => Color::Red,
        Level::Warning => Color::Yellow,
    };
    let head = format!("{}[{}]:", level_word(diag.level, lang), diag.code);
    out.push_str(&format!(
        "{} {}\n",
        head.fg(color.then_some(level_color)),
        diag.message.get(lang)
    ));

    let Some(primary) = cache.span(diag.primary.span) else {
        // The primary span points at no known file: show the words without an excerpt.
        for note in &diag.notes {
            out.push_str(&format!(
                "  {}: {}\n",
                note_word(lang, None),
                note.get(lang)
            ));
        }
        if let Some(help) = &diag.help {
            out.push_str(&format!("  {}: {}\n", help_word(lang), help.get(lang)));
        }
        return;
    };

    let config = Config::default()
        .with_index_type(IndexType::Char)
        .with_color(color);
    let mut report = Report::build(ReportKind::Error, primary.clone()).with_config(config);

    // ariadne underlines only labels that have a message: a primary without its own
    // text repeats the diagnostic's message, a secondary one gets an empty message.
    // Labels in the primary's file first, so ariadne shows that file first and
    // does not split it into two excerpts around another file's. Within that file
    // they are ordered by line, the primary first on its line: ariadne starts a new
    // excerpt whenever a label lies above the previous one, and heads that excerpt
    // with the primary's line and column, which would then be wrong.
    let in_file_order = |span: &AriadneSpan, secondary: i32| {
        let line = cache.line_of(span);
        i32::try_from(line)
            .unwrap_or(MAX_ORDER / 2)
            .saturating_mul(2)
            .saturating_add(secondary)
            .min(MAX_ORDER - 1)
    };
    let mut primary_label = Label::new(primary.clone())
        .with_order(in_file_order(&primary, 0))
        .with_priority(1)
        .with_message(
            diag.primary
                .text
                .as_ref()
                .unwrap_or(&diag.message)
                .get(lang),
        );
    if color {
        primary_label = primary_label.with_color(level_color);
    }
    report.add_label(primary_label);
    for (i, label) in diag.secondary.iter().enumerate() {
        let Some(span) = cache.span(label.span) else {
            continue;
        };
        let order = if span.0 == primary.0 {
            in_file_order(&span, 1)
        } else {
            MAX_ORDER.saturating_add(i32::try_from(i).unwrap_or(i32::MAX))
        };
        let mut l = Label::new(span)
            .with_order(order)
            .with_message(label.text.as_ref().map_or("", |t| t.get(lang)));
        if color {
            l = l.with_color(SECONDARY_COLOR);
        }
        report.add_label(l);
    }
    if let Some(help) = &diag.help {
        report.add_help(help.get(lang));
    }
    for note in &diag.notes {
        report.add_note(note.get(lang));
    }

    let mut buf = Vec::new();
    if report.finish().write(&mut *cache, &mut buf).is_err() {
        // Writing to a Vec cannot fail; keep the header rather than lose the diagnostic.
        return;
    }
    let mut text = String::from_utf8_lossy(&buf).into_owned();
    // Drop ariadne's own header line; ours is already written.
    let body_start = text.find('\n').map_or(text.len(), |i| i + 1);
    text.drain(..body_start);
    relabel(&mut text, diag, lang, color);
    // ariadne pads some lines with uncoloured spaces; they are invisible on a terminal
    // and noise in snapshots.
    for line in text.lines() {
        out.push_str(line.trim_end_matches(' '));
        out.push('\n');
    }
}

fn help_word(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "帮助",
        Lang::En => "help",
    }
}

/// `note`, or `note 2` when there are several (ariadne numbers them).
fn note_word(lang: Lang, number: Option<usize>) -> String {
    let word = match lang {
        Lang::Zh => "注意",
        Lang::En => "note",
    };
    match number {
        Some(n) => format!("{word} {n}"),
        None => word.to_string(),
    }
}

/// Replaces ariadne's `Help:`/`Note:` words by localized ones. Works from the end of
/// the report, where ariadne writes help then notes, matching each whole line, so a
/// message that happens to contain `Help:` is left alone.
fn relabel(text: &mut String, diag: &Diagnostic, lang: Lang, color: bool) {
    let paint = |word: &str| word.fg(color.then_some(NOTE_COLOR)).to_string();
    let mut lines: Vec<(String, String, &str)> = Vec::new();
    if let Some(help) = &diag.help {
        lines.push((
            "Help".to_string(),
            help_word(lang).to_string(),
            help.get(lang),
        ));
    }
    let numbered = diag.notes.len() > 1;
    for (i, note) in diag.notes.iter().enumerate() {
        let number = numbered.then_some(i + 1);
        let english = match number {
            Some(n) => format!("Note {n}"),
            None => "Note".to_string(),
        };
        lines.push((english, note_word(lang, number), note.get(lang)));
    }
    let mut limit = text.len();
    for (english, local, body) in lines.iter().rev() {
        let Some(first) = body.lines().next() else {
            continue;
        };
        let needle = format!("{}: {first}\n", paint(english));
        if let Some(at) = text[..limit].rfind(&needle) {
            let replacement = format!("{}: {first}\n", paint(local));
            text.replace_range(at..at + needle.len(), &replacement);
            limit = at;
        }
    }
}

/// An ariadne span: a file and a range of character offsets in it.
type AriadneSpan = (FileId, Range<usize>);

/// ariadne's view of a [`SourceMap`]: sources built on first use, keyed by [`FileId`].
struct SourceCache<'s> {
    map: &'s SourceMap,
    built: HashMap<FileId, Source<&'s str>>,
}

impl<'s> SourceCache<'s> {
    fn new(map: &'s SourceMap) -> Self {
        SourceCache {
            map,
            built: HashMap::new(),
        }
    }

    fn file(&self, id: FileId) -> Option<&'s SourceFile> {
        file(self.map, id)
    }

    /// 0-based line of the start of an ariadne span.
    fn line_of(&self, span: &AriadneSpan) -> usize {
        self.file(span.0).map_or(0, |f| {
            f.text
                .chars()
                .take(span.1.start)
                .filter(|c| *c == '\n')
                .count()
        })
    }

    /// The span as ariadne wants it: clamped to its file, in characters; `None` if the
    /// file is unknown.
    fn span(&self, span: Span) -> Option<AriadneSpan> {
        let text = &self.file(span.file)?.text;
        let bytes = clamp(text, span);
        let start = text[..bytes.start].chars().count();
        let end = start + text[bytes].chars().count();
        Some((span.file, start..end))
    }
}

/// Error of [`SourceCache::fetch`] for a file id missing from the map.
#[derive(Debug)]
struct UnknownFile(#[expect(dead_code, reason = "read through Debug by ariadne")] FileId);

impl<'s> Cache<FileId> for SourceCache<'s> {
    type Storage = &'s str;

    fn fetch(&mut self, id: &FileId) -> Result<&Source<&'s str>, impl fmt::Debug> {
        let Some(file) = file(self.map, *id) else {
            return Err(UnknownFile(*id));
        };
        Ok(self
            .built
            .entry(*id)
            .or_insert_with(|| Source::from(file.text.as_str())))
    }

    fn display<'a>(&self, id: &'a FileId) -> Option<impl fmt::Display + 'a> {
        self.file(*id).map(|f| f.path.clone())
    }
}
