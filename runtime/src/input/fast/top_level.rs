//! Reading a few top-level keys of a line without the schema and without
//! parsing the rest: what grouping by patient (`psn_no`, `begntime`) and cutting
//! blocks at patients need of each line.

use super::{Parser, Scratch};

/// The values of the top-level `keys` of the JSON object `text` that are strings
/// (`None` for a key that is absent, null or not a string), or `None` when `text`
/// is not a JSON object this scan can read. Other values are skipped unparsed.
pub(in crate::input) fn top_level_strings(
    text: &str,
    keys: &[&str],
) -> Option<Vec<Option<String>>> {
    scan_top_level(text, keys, false)
}

/// [`top_level_strings`] read only as far as the first key of each of `keys`:
/// the rest of the line is not looked at, so a line broken after them (which
/// the reader rejects later) still gives them. For finding where a patient's
/// lines end in a block, which otherwise parsed every line it looked at whole.
pub(in crate::input) fn leading_strings(text: &str, keys: &[&str]) -> Option<Vec<Option<String>>> {
    scan_top_level(text, keys, true)
}

fn scan_top_level(text: &str, keys: &[&str], leading: bool) -> Option<Vec<Option<String>>> {
    let mut scratch = Scratch::default();
    let mut p = Parser {
        b: text.as_bytes(),
        text,
        at: 0,
        depth: 0,
        scratch: &mut scratch,
    };
    let mut found = vec![None; keys.len()];
    // the keys met so far (by `leading`'s first)
    let mut met = vec![false; keys.len()];
    p.eat(b'{')?;
    p.ws();
    if p.peek()? == b'}' {
        return Some(found);
    }
    loop {
        p.ws();
        let key = p.string()?;
        p.eat(b':')?;
        p.ws();
        match keys.iter().position(|k| *k == key) {
            Some(i) if p.peek()? == b'"' => {
                found[i] = Some(p.string()?.into_owned());
                met[i] = true;
            }
            Some(i) => {
                p.skip()?;
                met[i] = true;
            }
            None => p.skip()?,
        }
        if leading && met.iter().all(|&m| m) {
            return Some(found);
        }
        p.ws();
        match p.peek()? {
            b',' => p.at += 1,
            b'}' => return Some(found),
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{leading_strings, top_level_strings};

    #[test]
    fn leading_strings_read_no_further_than_the_keys() {
        let broken_later = r#"{"mdtrt_id": "M1", "psn_no": "P1", "feedetail": [tru"#;
        let keys = ["psn_no"];
        assert_eq!(
            leading_strings(broken_later, &keys),
            Some(vec![Some("P1".to_string())])
        );
        assert_eq!(top_level_strings(broken_later, &keys), None);
        // a key given as another type is met all the same; one broken before
        // the key, or a key never given, reads as the whole scan does
        assert_eq!(
            leading_strings(r#"{"psn_no": 7, "x": tru"#, &keys),
            Some(vec![None])
        );
        assert_eq!(
            leading_strings(r#"{"x": tru, "psn_no": "P1"}"#, &keys),
            None
        );
        assert_eq!(leading_strings(r#"{"x": 1}"#, &keys), Some(vec![None]));
    }

    #[test]
    fn top_level_strings_reads_only_the_object_s_own_keys() {
        let keys = ["psn_no", "begntime"];
        let read = |t: &str| top_level_strings(t, &keys);
        let some =
            |a: Option<&str>, b: Option<&str>| Some(vec![a.map(String::from), b.map(String::from)]);
        assert_eq!(
            read(r#"{"x": {"psn_no": "inner"}, "psn_no" : "P\u0031", "begntime": 5}"#),
            some(Some("P1"), None),
            "nested keys are skipped, escapes decoded, non-strings absent"
        );
        assert_eq!(read(r#" { } "#), some(None, None));
        assert_eq!(
            read(r#"{"psn_no": null, "begntime": "2026-10-01"}"#),
            some(None, Some("2026-10-01"))
        );
        for broken in [
            "[1]",
            "{\"psn_no\": \"P1\"",
            "{\"a\": tru}",
            "",
            "{\"a\" 1}",
        ] {
            assert_eq!(read(broken), None, "{broken}");
        }
    }
}
