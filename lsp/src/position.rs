//! Positions as the editor counts them: zero-based lines, and columns in UTF-16
//! code units (the protocol's default) or in UTF-8 bytes when the client offers
//! them, to and from byte offsets into a text. Chinese text makes every count
//! differ: a CJK character is one UTF-16 unit and three bytes.

use lsp_types::Position;

/// How the client counts columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

/// The position of byte `offset` of `text` (clamped to the text, and back to a
/// character boundary).
pub fn position(text: &str, offset: usize, encoding: Encoding) -> Position {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.bytes().filter(|&b| b == b'\n').count();
    let column = match encoding {
        Encoding::Utf8 => offset - line_start,
        Encoding::Utf16 => before[line_start..].encode_utf16().count(),
    };
    Position::new(line as u32, column as u32)
}

/// The byte offset of `position` in `text`: past the end of its line (or of the
/// text) it is that end; inside a character, that character's start.
pub fn offset(text: &str, position: Position, encoding: Encoding) -> usize {
    let mut start = 0;
    for _ in 0..position.line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let want = position.character as usize;
    let mut counted = 0;
    for (i, c) in text[start..end].char_indices() {
        if counted >= want {
            return start + i;
        }
        counted += match encoding {
            Encoding::Utf8 => c.len_utf8(),
            Encoding::Utf16 => c.len_utf16(),
        };
        if counted > want {
            return start + i;
        }
    }
    end
}

#[cfg(test)]
mod tests {
    use super::{Encoding, offset, position};
    use lsp_types::Position;

    #[test]
    fn columns_count_utf16_units_or_bytes_past_chinese_text() {
        let text = "rule a \"限儿童\" {\n  when x\n}";
        let x = text.find('x').unwrap_or(0);
        assert_eq!(position(text, x, Encoding::Utf16), Position::new(1, 7));
        let brace = text.find('{').unwrap_or(0);
        assert_eq!(position(text, brace, Encoding::Utf16), Position::new(0, 13));
        assert_eq!(position(text, brace, Encoding::Utf8), Position::new(0, 19));
        for enc in [Encoding::Utf8, Encoding::Utf16] {
            for at in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
                assert_eq!(
                    offset(text, position(text, at, enc), enc),
                    at,
                    "{enc:?} {at}"
                );
            }
        }
    }

    #[test]
    fn positions_beyond_a_line_or_the_text_are_its_end() {
        let text = "ab\n儿童";
        assert_eq!(offset(text, Position::new(0, 99), Encoding::Utf16), 2);
        assert_eq!(
            offset(text, Position::new(7, 0), Encoding::Utf16),
            text.len()
        );
        // inside a character: its start
        assert_eq!(offset(text, Position::new(1, 1), Encoding::Utf8), 3);
        assert_eq!(position(text, 4, Encoding::Utf8), Position::new(1, 0));
    }
}
