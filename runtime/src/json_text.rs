//! JSON text written straight into a `String`, for the outputs written once per
//! visit or line (a month's settlement is 1.6 million objects with 12 million
//! nested ones): strings escaped only when they need it, decimals written from
//! their mantissa. The bytes are those `serde_json` and `Decimal`'s `Display`
//! write.

use rust_decimal::Decimal;

/// The ASCII digits written by [`push_decimal`] as a `str`.
fn ascii(digits: &[u8]) -> &str {
    std::str::from_utf8(digits).unwrap_or_default()
}

/// Appends `text` as a JSON string.
pub fn push_string(out: &mut String, text: &str) {
    let plain = text.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\');
    if plain {
        out.push('"');
        out.push_str(text);
        out.push('"');
    } else {
        out.push_str(&serde_json::Value::from(text).to_string());
    }
}

/// Appends `d` as `Decimal`'s `Display` writes it: a sign when it is negative
/// (even zero), the digits, and `scale` of them after the point.
pub fn push_decimal(out: &mut String, d: Decimal) {
    let mut digits = [0u8; 40];
    let mut start = digits.len();
    let mut push = |digit: u8| {
        start -= 1;
        digits[start] = b'0' + digit;
    };
    let magnitude = d.mantissa().unsigned_abs();
    match u64::try_from(magnitude) {
        Ok(mut m) => {
            while m > 0 {
                push((m % 10) as u8);
                m /= 10;
            }
        }
        Err(_) => {
            let mut m = magnitude;
            while m > 0 {
                push((m % 10) as u8);
                m /= 10;
            }
        }
    }
    let digits = &digits[start..];
    let scale = d.scale() as usize;
    if d.is_sign_negative() {
        out.push('-');
    }
    if digits.len() > scale {
        let (whole, fraction) = digits.split_at(digits.len() - scale);
        out.push_str(ascii(whole));
        if scale > 0 {
            out.push('.');
            out.push_str(ascii(fraction));
        }
    } else {
        out.push('0');
        if scale > 0 {
            out.push('.');
            (digits.len()..scale).for_each(|_| out.push('0'));
            out.push_str(ascii(digits));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn decimal(d: Decimal) -> String {
        let mut out = String::new();
        push_decimal(&mut out, d);
        out
    }

    #[test]
    fn decimals_are_written_as_display_writes_them() {
        for text in ["0", "0.00", "-0.00", "5", "0.05", "-0.5", "123.4500", "-7"] {
            let d: Decimal = text.parse().expect("a decimal");
            assert_eq!(decimal(d), d.to_string(), "{text}");
        }
        assert_eq!(decimal(Decimal::MAX), Decimal::MAX.to_string());
        assert_eq!(decimal(Decimal::MIN), Decimal::MIN.to_string());
        let negative_zero = Decimal::new(0, 2) * Decimal::NEGATIVE_ONE;
        assert_eq!(decimal(negative_zero), negative_zero.to_string());
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        for text in [
            "",
            "plain",
            "中文",
            "a\"b",
            "back\\slash",
            "tab\there",
            "\u{1}",
        ] {
            let mut out = String::new();
            push_string(&mut out, text);
            assert_eq!(out, serde_json::Value::from(text).to_string());
        }
    }

    proptest! {
        #[test]
        fn any_decimal_is_written_as_display_writes_it(
            lo: u32, mid: u32, hi: u32, negative: bool, scale in 0u32..=28
        ) {
            let d = Decimal::from_parts(lo, mid, hi, negative, scale);
            prop_assert_eq!(decimal(d), d.to_string());
        }
    }
}
