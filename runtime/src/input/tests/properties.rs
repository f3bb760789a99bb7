//! Property tests of the reader.

use super::*;
use proptest::prelude::*;

/// An original line (cnt, cents) and how much of it two refunds take back.
fn original() -> impl Strategy<Value = (u32, u32, u32, u32)> {
    (0u32..6, 0u32..100_000).prop_flat_map(|(cnt, cents)| {
        // Full, none, or some of each: full reversals must be common.
        let part = |n: u32| prop_oneof![Just(n), Just(0), 0..=n];
        (Just(cnt), Just(cents), part(cnt), part(cents))
    })
}

fn cents(c: i64) -> String {
    Decimal::new(c, 2).to_string()
}

proptest! {
    /// Refunds conserve the visit's totals, keep input order, and drop exactly
    /// the fully reversed lines.
    #[test]
    fn refunds_conserve_totals(originals in proptest::collection::vec(original(), 1..8)) {
        let mut json_lines = Vec::new();
        let mut refunds = Vec::new();
        let mut expected = Vec::new();
        for (i, &(cnt, amount, back_cnt, back_amount)) in originals.iter().enumerate() {
            let sn = format!("L{i}");
            json_lines.push(fee_line(&sn, None, &cnt.to_string(), &cents(amount.into())));
            // Two refunds splitting what is taken back (zero-sized ones included).
            let (c1, a1) = (back_cnt / 2, back_amount / 2);
            for (c, a) in [(c1, a1), (back_cnt - c1, back_amount - a1)] {
                let rsn = format!("R{i}-{}", refunds.len());
                refunds.push(fee_line(&rsn, Some(&sn), &format!("-{c}"), &format!("-{}", cents(a.into()))));
            }
            let left = (cnt - back_cnt, amount - back_amount);
            if left != (0, 0) {
                expected.push((sn, dec(&left.0.to_string()), dec(&cents(left.1.into()))));
            }
        }
        json_lines.extend(refunds);
        let visit = read(&with_lines(json_lines)).unwrap();
        prop_assert_eq!(amounts(&visit), expected);
    }

    /// A decimal sent as a JSON number reads the same as sent as a string, and as
    /// rust_decimal reads the text.
    #[test]
    fn number_and_string_forms_agree(units in -10_000_000_000i64..10_000_000_000, scale in 0u32..7) {
        let text = Decimal::new(units, scale).to_string();
        let mut as_number = example();
        as_number["feedetail"][0]["pric"] = serde_json::from_str(&text).unwrap();
        let mut as_string = example();
        as_string["feedetail"][0]["pric"] = text.clone().into();
        let a = lines(&read(&as_number).unwrap())[0].fields[l::PRIC].clone();
        let b = lines(&read(&as_string).unwrap())[0].fields[l::PRIC].clone();
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(a.as_decimal().unwrap().to_string(), text);
    }
}
