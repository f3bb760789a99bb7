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
    if d.is_sign_negative() {
        out.push('-');
    }
    let scale = d.scale() as usize;
    match u64::try_from(d.mantissa().unsigned_abs()) {
        // money and ratios: the whole part and the fraction by four-digit groups
        Ok(m) if scale < UNITS.len() => {
            let unit = UNITS[scale];
            push_whole(out, m / unit);
            if scale > 0 {
                out.push('.');
                out.push_str(group((m % unit) as usize, scale));
            }
        }
        _ => push_digits(out, d.mantissa().unsigned_abs(), scale),
    }
}

const UNITS: [u64; 5] = [1, 10, 100, 1000, 10_000];

/// "0000" to "9999" back to back: numbers are written as four-digit groups cut
/// from here, with no conversion of bytes to text per number. One 40 KB table
/// (a table of a `&str` per group was 160 KB, and its loads missed the cache).
static DIGITS: &str = {
    static BYTES: [u8; 40_000] = {
        let mut b = [0u8; 40_000];
        let mut n = 0;
        while n < 10_000 {
            b[4 * n] = b'0' + (n / 1000) as u8;
            b[4 * n + 1] = b'0' + (n / 100 % 10) as u8;
            b[4 * n + 2] = b'0' + (n / 10 % 10) as u8;
            b[4 * n + 3] = b'0' + (n % 10) as u8;
            n += 1;
        }
        b
    };
    match std::str::from_utf8(&BYTES) {
        Ok(text) => text,
        Err(_) => panic!("digits are ASCII"),
    }
};

/// The last `width` digits of the four-digit group `n` (below 10,000).
fn group(n: usize, width: usize) -> &'static str {
    DIGITS.get(4 * n + 4 - width..4 * n + 4).unwrap_or_default()
}

/// Appends `n` in decimal, without leading zeros ("0" for zero).
fn push_whole(out: &mut String, mut n: u64) {
    // up to twenty digits: a leading group of one to four, then whole groups
    let mut groups = [0usize; 4];
    let mut k = 0;
    while n >= 10_000 {
        groups[k] = (n % 10_000) as usize;
        n /= 10_000;
        k += 1;
    }
    let width = 1 + usize::from(n >= 10) + usize::from(n >= 100) + usize::from(n >= 1000);
    out.push_str(group(n as usize, width));
    for &g in groups[..k].iter().rev() {
        out.push_str(group(g, 4));
    }
}

/// [`push_decimal`]'s digits for any mantissa and scale.
fn push_digits(out: &mut String, magnitude: u128, scale: usize) {
    let mut digits = [0u8; 40];
    let mut start = digits.len();
    let mut m = magnitude;
    while m > 0 {
        start -= 1;
        digits[start] = b'0' + (m % 10) as u8;
        m /= 10;
    }
    let digits = &digits[start..];
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

        /// Money and ratios (a mantissa of 64 bits, at most four decimals) go
        /// through the four-digit groups: every group boundary of every length.
        #[test]
        fn money_is_written_as_display_writes_it(
            digits in 1u32..=20, m: u64, negative: bool, scale in 0u32..=4
        ) {
            for m in [m, m % 10u64.saturating_pow(digits), 10u64.saturating_pow(digits), 10u64.saturating_pow(digits) - 1] {
                let d = Decimal::from_i128_with_scale(i128::from(m), scale);
                let d = if negative { -d } else { d };
                prop_assert_eq!(decimal(d), d.to_string());
            }
        }
    }
}
