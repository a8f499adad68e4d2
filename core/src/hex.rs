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
    for (byte, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
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
/// 50 ns of the check's time, bench/PROFILE.md, sixth round); the .wasm
/// keeps the slice compare and its size.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn same_tag(a: &[u8; 32], b: &[u8; 32]) -> Choice {
    let difference = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    difference.ct_eq(&0)
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
