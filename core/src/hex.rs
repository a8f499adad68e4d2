//! Hex: lowercase encoding, and constant-time decoding of signatures.

use subtle::{Choice, ConstantTimeEq};

/// Lowercase hex of `bytes`.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for &byte in bytes {
        out.push(hex_digit(byte >> 4));
        out.push(hex_digit(byte & 0x0f));
    }
    out
}

/// The lowercase hex digit of a nibble (0..=15).
fn hex_digit(nibble: u8) -> char {
    char::from(if nibble < 10 {
        b'0' + nibble
    } else {
        b'a' + nibble - 10
    })
}

/// Decode `2 * N` hex digits (either case). `None` for the wrong length;
/// otherwise the bytes and whether every digit was valid, computed without
/// branching on the digits.
pub(crate) fn decode_hex<const N: usize>(hex: &[u8]) -> Option<([u8; N], Choice)> {
    if hex.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    let mut invalid = 0u8;
    // Natively eight digits a step in a word (see `decode_word`); the
    // pairs left, if any, one at a time below.
    #[cfg(not(target_arch = "wasm32"))]
    let (out_rest, hex) = {
        let mut bad = 0u64;
        let mut fours = out.chunks_exact_mut(4);
        let mut words = hex.chunks_exact(8);
        for (four, word) in (&mut fours).zip(&mut words) {
            if let (Ok(four), Ok(word)) =
                (<&mut [u8; 4]>::try_from(four), <[u8; 8]>::try_from(word))
            {
                let (bytes, word_bad) = decode_word(u64::from_le_bytes(word));
                *four = bytes.to_le_bytes();
                bad |= word_bad;
            }
        }
        // Not zero -> 1, without a compare.
        invalid |= ((bad | bad.wrapping_neg()) >> 63) as u8;
        (fours.into_remainder(), words.remainder())
    };
    #[cfg(target_arch = "wasm32")]
    let out_rest = out.as_mut_slice();
    for (byte, pair) in out_rest.iter_mut().zip(hex.chunks_exact(2)) {
        if let [high, low] = pair {
            let (h, h_bad) = hex_value(*high);
            let (l, l_bad) = hex_value(*low);
            *byte = (h << 4) | l;
            invalid |= h_bad | l_bad;
        }
    }
    Some((out, invalid.ct_eq(&0)))
}

/// Whether two MACs are equal, in constant time: the bytes' differences
/// OR-ed together without a branch, then one `subtle` compare. Natively
/// only: `subtle`'s slice compare makes a `Choice` a byte, each through
/// its out-of-line optimisation barrier, 32 calls a verification (about
/// 45 ns, bench/PROFILE.md, sixth round); the .wasm keeps the slice
/// compare and its size.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn same_tag(a: &[u8; 32], b: &[u8; 32]) -> Choice {
    let difference = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    difference.ct_eq(&0)
}

/// Eight hex digits (the first in the low byte) as four bytes (the first
/// in the low byte), and a word that is not zero when any is not a hex
/// digit: each byte's range tests as carry-free additions on its low seven
/// bits, with no branch: about 20 ns less a signature than the scalar
/// `hex_value` (bench/PROFILE.md, sixth round).
#[cfg(not(target_arch = "wasm32"))]
fn decode_word(x: u64) -> (u32, u64) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x80 * ONES;
    // The high bit of each byte of `v` (at most 0x7f) where it is at least `lo`.
    let at_least = |v: u64, lo: u64| (v + (0x80 - lo) * ONES) & HIGH;
    let low7 = x & !HIGH;
    let in_range = |v: u64, lo: u64, hi: u64| at_least(v, lo) & !at_least(v, hi + 1);
    let digit = in_range(low7, 0x30, 0x39);
    let alpha = in_range(low7 | (0x20 * ONES), 0x61, 0x66);
    // A byte with its high bit set is no digit whatever its low bits.
    let valid = (digit | alpha) & !x;
    let bad = !valid & HIGH;
    // '0'..'9' and 'a'..'f' / 'A'..'F' end in 0..9 and 1..6: add 9 to letters.
    let value = (x & (0x0f * ONES)) + (alpha >> 7) * 9;
    // Each pair: the first digit's value times 16 plus the second's, in
    // the low byte of its sixteen bits; then the four low bytes together.
    let pairs = ((value & 0x00ff_00ff_00ff_00ff) << 4) | ((value >> 8) & 0x00ff_00ff_00ff_00ff);
    let packed = (pairs & 0xff)
        | ((pairs >> 8) & 0xff00)
        | ((pairs >> 16) & 0x00ff_0000)
        | ((pairs >> 24) & 0xff00_0000);
    (packed as u32, bad)
}

/// One hex digit's value and 1 if it is not a hex digit, branch-free.
fn hex_value(c: u8) -> (u8, u8) {
    let digit = c.wrapping_sub(b'0');
    let lower = (c | 0x20).wrapping_sub(b'a');
    let is_digit = ((u16::from(digit).wrapping_sub(10)) >> 8) as u8 & 1; // digit < 10
    let is_alpha = ((u16::from(lower).wrapping_sub(6)) >> 8) as u8 & 1; // lower < 6
    let value =
        (digit & is_digit.wrapping_neg()) | ((lower.wrapping_add(10)) & is_alpha.wrapping_neg());
    (value, (is_digit | is_alpha) ^ 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn same_tag_is_equality() {
        let tag: [u8; 32] = core::array::from_fn(|i| (i * 37 + 11) as u8);
        assert!(bool::from(same_tag(&tag, &tag)));
        for i in 0..32 {
            for bit in 0..8 {
                let mut other = tag;
                other[i] ^= 1 << bit;
                assert!(!bool::from(same_tag(&tag, &other)), "byte {i} bit {bit}");
                assert!(!bool::from(same_tag(&other, &tag)), "byte {i} bit {bit}");
            }
        }
        assert!(!bool::from(same_tag(&[0; 32], &[0xff; 32])));
    }

    #[test]
    fn any_byte_anywhere_decodes_as_the_alphabet_says() {
        let digits = b"0123456789abcdefABCDEF";
        let base: Vec<u8> = (0..64).map(|i| digits[(i * 7) % digits.len()]).collect();
        for at in 0..64 {
            for c in 0..=255u8 {
                let mut hex = base.clone();
                hex[at] = c;
                let (bytes, valid) = decode_hex::<32>(&hex).unwrap();
                let nibbles: Option<Vec<u8>> = hex
                    .iter()
                    .map(|&h| (h as char).to_digit(16).map(|v| v as u8))
                    .collect();
                match nibbles {
                    Some(nibbles) => {
                        assert!(bool::from(valid), "byte {c} at {at}");
                        let expected: Vec<u8> =
                            nibbles.chunks(2).map(|p| (p[0] << 4) | p[1]).collect();
                        assert_eq!(bytes.to_vec(), expected, "byte {c} at {at}");
                    }
                    None => assert!(!bool::from(valid), "byte {c} at {at}"),
                }
            }
        }
        // A length that leaves pairs after the words (N = 6: one word, two pairs).
        assert_eq!(
            decode_hex::<6>(b"00ff10A0beEF").map(|(b, v)| (b, bool::from(v))),
            Some(([0x00, 0xff, 0x10, 0xa0, 0xbe, 0xef], true))
        );
        assert!(!bool::from(decode_hex::<6>(b"00ff10A0beEg").unwrap().1));
        assert!(decode_hex::<32>(&base[..63]).is_none());
    }

    #[test]
    fn hex_value_matches_the_alphabet() {
        for c in 0..=255u8 {
            let expected = (c as char).to_digit(16);
            let (value, bad) = hex_value(c);
            match expected {
                Some(v) => assert_eq!((value, bad), (v as u8, 0), "byte {c}"),
                None => assert_eq!(bad, 1, "byte {c}"),
            }
        }
    }
}
