//! Diagnostics as data: code, level, message, labelled spans, notes and help, each
//! text in Chinese and English. Produced by every phase, rendered once at the edge
//! (terminal via ariadne, JSON for tools and the editor).

pub mod codes;
pub mod render;

use crate::source::Span;

/// Language of rendered messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// `zh`/`en`, or a locale such as `zh_CN.UTF-8` / `en_US`.
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.to_ascii_lowercase();
        if s.starts_with("zh") {
            Some(Lang::Zh)
        } else if s.starts_with("en") || s == "c" || s == "posix" {
            Some(Lang::En)
        } else {
            None
        }
    }
}

/// A text in both languages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text {
    pub zh: String,
    pub en: String,
}

impl Text {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Text {
        Text {
            zh: zh.into(),
            en: en.into(),
        }
    }
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

/// Builds a [`Text`] from a Chinese and an English format string with the same arguments.
#[macro_export]
macro_rules! text {
    ($zh:literal, $en:literal $(, $arg:expr)* $(,)?) => {
        $crate::diagnostic::Text { zh: format!($zh $(, $arg)*), en: format!($en $(, $arg)*) }
    };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Error,
    Warning,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub text: Option<Text>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable code, `H0001` …; see [`codes::CODES`].
    pub code: &'static str,
    pub level: Level,
    pub message: Text,
    /// Where the problem is; its text says what is wrong there.
    pub primary: Label,
    /// Related places (the earlier definition, the declared type, …).
    pub secondary: Vec<Label>,
    pub notes: Vec<Text>,
    /// What to do about it.
    pub help: Option<Text>,
}

impl Diagnostic {
    pub fn error(code: &'static str, span: Span, message: Text) -> Diagnostic {
        Diagnostic {
            code,
            level: Level::Error,
            message,
            primary: Label { span, text: None },
            secondary: Vec::new(),
            notes: Vec::new(),
            help: None,
        }
    }

    pub fn warning(code: &'static str, span: Span, message: Text) -> Diagnostic {
        Diagnostic {
            level: Level::Warning,
            ..Diagnostic::error(code, span, message)
        }
    }

    /// Text shown at the primary span.
    pub fn label(mut self, text: Text) -> Self {
        self.primary.text = Some(text);
        self
    }

    pub fn secondary(mut self, span: Span, text: Text) -> Self {
        self.secondary.push(Label {
            span,
            text: Some(text),
        });
        self
    }

    pub fn note(mut self, text: Text) -> Self {
        self.notes.push(text);
        self
    }

    pub fn help(mut self, text: Text) -> Self {
        self.help = Some(text);
        self
    }

    pub fn is_error(&self) -> bool {
        self.level == Level::Error
    }
}

/// Sorts diagnostics by file and position, errors and warnings interleaved, so output
/// is deterministic and reads top to bottom.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by_key(|d| {
        (
            d.primary.span.file,
            d.primary.span.start,
            d.primary.span.end,
            d.code,
        )
    });
}
