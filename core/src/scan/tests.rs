use super::*;

/// Check that `text` is one JSON value (between optional whitespace); its kind.
fn document(text: &str) -> Result<Kind, Invalid> {
    let mut scanner = Scanner::new(text);
    let kind = scanner.value(0)?;
    scanner.end()?;
    Ok(kind)
}

fn serde_accepts(text: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(text).is_ok()
}

#[test]
fn agrees_with_serde_json_on_edge_cases() {
    let cases = [
        "0",
        "-0",
        "01",
        "-01",
        "1.",
        ".5",
        "1.5",
        "1e5",
        "1E+5",
        "1e-5",
        "1e",
        "1e+",
        "-",
        "--1",
        "+1",
        "1.5e308",
        "1.8e308",
        "1.7976931348623157e308",
        "1.7976931348623159e308",
        "17976931348623157e292",
        "17976931348623159e292",
        "1e309",
        "0e999999",
        "1e99999999999",
        "0.0e99999999999",
        "1e-99999999999",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "-9223372036854775809",
        "184467440737095516150000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000.5",
        "1844674407370955161.5e289",
        "18446744073709551615.5e289",
        "\"\\ud800\"",
        "\"\\ud800\\udc00\"",
        "\"\\udc00\"",
        "\"\\ud800\\u0041\"",
        "\"\\ud800x\"",
        "\"\\uD83D\\uDE00\"",
        "\"\\u00e9\"",
        "\"\\x\"",
        "\"\t\"",
        "\"\u{7f}\"",
        "\"\\/\"",
        "tru",
        "true",
        "truex",
        "nul",
        "null ",
        " false",
        "[1,]",
        "[,1]",
        "[1 2]",
        "{}",
        "{,}",
        "{\"a\":1,}",
        "{\"a\" 1}",
        "{\"a\":}",
        "{1:2}",
        "[]",
        "[[[]]]",
        "",
        " ",
        "\"abc",
        "{\"a\":\"b\"}x",
        "[1]\u{a0}",
        "\"é\"",
        "{\"a\":[1,{\"b\":null}]}",
    ];
    for case in cases {
        assert_eq!(
            document(case).is_ok(),
            serde_accepts(case),
            "scanner and serde_json disagree on {case:?}"
        );
    }
}

#[test]
fn numbers_read_as_serde_json_reads_them() {
    for (literal, expected) in [
        ("0", Number::Integer(0)),
        ("-0", Number::Float),
        ("42", Number::Integer(42)),
        ("-42", Number::Integer(-42)),
        (
            "18446744073709551615",
            Number::Integer(18_446_744_073_709_551_615),
        ),
        ("18446744073709551616", Number::Float),
        (
            "-9223372036854775808",
            Number::Integer(-9_223_372_036_854_775_808),
        ),
        ("-9223372036854775809", Number::Float),
        ("1.0", Number::Float),
        ("1e2", Number::Float),
    ] {
        assert_eq!(Scanner::new(literal).number(), Ok(expected), "{literal}");
    }
}

#[test]
fn escapes_decode() {
    let text = r#""a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00z""#;
    let string = Scanner::new(text).string().unwrap();
    assert_eq!(string.decoded(text), "a\"\\/\u{8}\u{c}\n\r\té\u{1F600}z");
    assert!(string.escaped);
    let key = r#""\u0065vent""#;
    assert_eq!(Scanner::new(key).string().unwrap().decoded(key), "event");
}

#[test]
fn long_strings_find_their_end_and_refuse_control_characters() {
    for len in 0..40 {
        let body = "x".repeat(len);
        assert_eq!(document(&format!("\"{body}\"")), Ok(Kind::String));
        assert_eq!(
            document(&format!("\"{body}\n\"")),
            Err(Invalid(len + 1)),
            "{len}"
        );
        assert!(document(&format!("\"{body}")).is_err());
    }
    assert_eq!(document("\"ééééééé\u{1F600}\""), Ok(Kind::String));
}

#[test]
fn positions_are_one_based() {
    assert_eq!(line_and_column("{\n  x", 4), (2, 3));
    assert_eq!(line_and_column("x", 0), (1, 1));
    assert_eq!(line_and_column("ab", 2), (1, 3));
}

#[test]
fn runs_of_whitespace_of_every_length_and_mix_are_skipped() {
    for length in 0..40 {
        for mix in [" ", "\n", "\t", "\r", "\n  ", " \t", "        \n"] {
            let gap: String = mix.repeat(length).chars().take(length).collect();
            let text =
                format!("{gap}{{{gap}\"a\"{gap}:{gap}[{gap}1{gap},{gap}true{gap}]{gap}}}{gap}");
            assert_eq!(document(&text), Ok(Kind::Object), "{text:?}");
            assert!(serde_accepts(&text));
            // A byte that is not whitespace inside the gap stops it.
            let broken = format!("{{{gap}x{gap}\"a\":1}}");
            assert_eq!(document(&broken), Err(Invalid(1 + length)), "{broken:?}");
        }
    }
}
