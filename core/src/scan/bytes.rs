//! Byte tests a word at a time: key compares and the run of plain bytes
//! in a string.

/// Whether two short byte strings are equal: the length settles most
/// misses, then words that may overlap (eight bytes at a time and the last
/// eight, or the first and last four), so a key costs a few compares and
/// neither a call nor a byte loop.
#[cfg(not(target_arch = "wasm32"))]
#[inline(always)]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    if a.len() < 4 {
        return a.iter().zip(b).all(|(x, y)| x == y);
    }
    if a.len() < 8 {
        return a.first_chunk::<4>() == b.first_chunk::<4>()
            && a.last_chunk::<4>() == b.last_chunk::<4>();
    }
    let (mut x, mut y) = (a, b);
    while x.len() > 8 {
        match (x.split_first_chunk::<8>(), y.split_first_chunk::<8>()) {
            (Some((p, rest_x)), Some((q, rest_y))) if p == q => (x, y) = (rest_x, rest_y),
            _ => return false,
        }
    }
    a.last_chunk::<8>() == b.last_chunk::<8>()
}

/// [`same_bytes`] in the size-first WASM build: the one slice compare.
#[cfg(target_arch = "wasm32")]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a == b
}

/// Eight bytes at once: the high bit of each special byte set, exactly at
/// the lowest one (a borrow only spreads upwards, so bytes above the first
/// special one may be flagged too, never below).
#[cfg(all(
    not(target_arch = "wasm32"),
    not(all(target_arch = "x86_64", target_feature = "sse2"))
))]
#[inline(always)]
fn special_word(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    (quote.wrapping_sub(ONES) & !quote
        | backslash.wrapping_sub(ONES) & !backslash
        // Bytes below 0x20.
        | word.wrapping_sub(ONES * 0x20) & !word)
        & HIGHS
}

/// The offset of the first special byte of `chunk`, if any: its two halves
/// tested side by side (two independent chains of a few operations, no
/// `unsafe`). The scan is a chain of dependent steps, each string's end
/// the start of what follows, so the latency of a step counts more than
/// its instruction count (a vectorised compare whose mask goes through
/// memory to reach a scalar register was slower).
#[cfg(all(
    not(target_arch = "wasm32"),
    not(all(target_arch = "x86_64", target_feature = "sse2"))
))]
#[inline(always)]
pub(super) fn first_special(chunk: &[u8; 16]) -> Option<u32> {
    let (low, high) = chunk.split_at(8);
    let low = special_word(u64::from_le_bytes(low.try_into().unwrap_or_default()));
    let high = special_word(u64::from_le_bytes(high.try_into().unwrap_or_default()));
    if low != 0 {
        Some(low.trailing_zeros() / 8)
    } else if high != 0 {
        Some(8 + high.trailing_zeros() / 8)
    } else {
        None
    }
}

/// [`first_special`] on x86-64: three SSE2 compares and the byte mask
/// moved straight to a register (`pmovmskb`), about ten instructions where
/// the two words take thirty, and no longer a chain.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
pub(super) fn first_special(chunk: &[u8; 16]) -> Option<u32> {
    use safe_arch::{
        bitor_m128i, cmp_eq_mask_i8_m128i, load_unaligned_m128i, min_u8_m128i, move_mask_i8_m128i,
        set_splat_i8_m128i,
    };
    let bytes = load_unaligned_m128i(chunk);
    let quote = cmp_eq_mask_i8_m128i(bytes, set_splat_i8_m128i(b'"' as i8));
    let backslash = cmp_eq_mask_i8_m128i(bytes, set_splat_i8_m128i(b'\\' as i8));
    // Bytes below 0x20: those that 0x1F's unsigned minimum leaves as they are.
    let control = cmp_eq_mask_i8_m128i(min_u8_m128i(bytes, set_splat_i8_m128i(0x1F)), bytes);
    let mask = move_mask_i8_m128i(bitor_m128i(bitor_m128i(quote, backslash), control)) as u32;
    (mask != 0).then(|| mask.trailing_zeros())
}

/// How many leading bytes of `bytes` a string takes as they are: none is a
/// quote, a backslash or a control character. Sixteen bytes a step (see
/// [`first_special`]); the last few bytes are padded with a control byte,
/// which stops the run at the end of the text.
#[cfg(not(target_arch = "wasm32"))]
pub(super) fn plain_run(bytes: &[u8]) -> usize {
    let mut chunks = bytes.chunks_exact(16);
    let mut run = 0;
    for chunk in chunks.by_ref() {
        let Ok(chunk) = <&[u8; 16]>::try_from(chunk) else {
            break;
        };
        if let Some(at) = first_special(chunk) {
            return run + at as usize;
        }
        run += 16;
    }
    let rest = chunks.remainder();
    let mut padded = [0u8; 16];
    if let Some(head) = padded.get_mut(..rest.len()) {
        head.copy_from_slice(rest);
    }
    run + first_special(&padded).map_or(rest.len(), |at| at as usize)
}

/// [`plain_run`] for the size-first WASM build (no SIMD there): eight bytes
/// at a time in a `u64`; each test flags its byte exactly at the lowest
/// flagged position (a borrow only spreads upwards), so the lowest flag of
/// all three is the first special byte.
#[cfg(target_arch = "wasm32")]
pub(super) fn plain_run(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero_bytes = |word: u64| word.wrapping_sub(ONES) & !word & HIGHS;
    let mut run = 0;
    for chunk in bytes.chunks_exact(8) {
        let Ok(chunk) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let word = u64::from_le_bytes(chunk);
        let special = zero_bytes(word ^ (ONES * u64::from(b'"')))
            | zero_bytes(word ^ (ONES * u64::from(b'\\')))
            // Bytes below 0x20.
            | (word.wrapping_sub(ONES * 0x20) & !word & HIGHS);
        if special != 0 {
            return run + (special.trailing_zeros() / 8) as usize;
        }
        run += 8;
    }
    while let Some(&b) = bytes.get(run) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            break;
        }
        run += 1;
    }
    run
}
