//! Numbers: checked and read as the reference parser reads them.

use super::{Invalid, Number, Scanner};

impl Scanner<'_> {
    /// At a number: check and pass it, reading it as the reference parser
    /// does (serde_json without `float_roundtrip`), whose arithmetic decides
    /// which literals are out of range.
    pub(crate) fn number(&mut self) -> Result<Number, Invalid> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        let mut significand: u64 = 0;
        // Powers of ten: digits dropped from the significand, minus
        // fraction digits kept in it. Saturating, like the exponent below.
        let mut exponent: i32 = 0;
        let mut float = false;
        match self.digit() {
            Some(0) => {
                self.pos += 1;
                if self.digit().is_some() {
                    return Err(self.invalid());
                }
            }
            Some(_) => {
                let mut dropping = false;
                while let Some(d) = self.digit() {
                    self.pos += 1;
                    if dropping {
                        exponent = exponent.saturating_add(1);
                    } else if let Some(next) = grow(significand, d) {
                        significand = next;
                    } else {
                        // Too long for a u64: serde_json keeps the leading
                        // digits and counts the rest as a power of ten.
                        dropping = true;
                        float = true;
                        exponent = 1;
                    }
                }
            }
            None => return Err(self.invalid()),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            float = true;
            if self.digit().is_none() {
                return Err(self.invalid());
            }
            let mut dropping = false;
            while let Some(d) = self.digit() {
                self.pos += 1;
                if dropping {
                    continue;
                }
                match grow(significand, d) {
                    Some(next) => {
                        significand = next;
                        exponent = exponent.saturating_sub(1);
                    }
                    None => dropping = true,
                }
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            float = true;
            let positive = match self.peek() {
                Some(b'+') => {
                    self.pos += 1;
                    true
                }
                Some(b'-') => {
                    self.pos += 1;
                    false
                }
                _ => true,
            };
            if self.digit().is_none() {
                return Err(self.invalid());
            }
            let mut power: i32 = 0;
            let mut too_large = false;
            while let Some(d) = self.digit() {
                self.pos += 1;
                match power.checked_mul(10).and_then(|p| p.checked_add(d as i32)) {
                    Some(next) if !too_large => power = next,
                    _ => too_large = true,
                }
            }
            if too_large {
                // serde_json: an exponent past i32 is infinity (refused) or zero.
                return if positive && significand != 0 {
                    Err(Invalid(start))
                } else {
                    Ok(Number::Float)
                };
            }
            exponent = if positive {
                exponent.saturating_add(power)
            } else {
                exponent.saturating_sub(power)
            };
        }
        if float {
            return if overflows(significand, exponent) {
                Err(Invalid(start))
            } else {
                Ok(Number::Float)
            };
        }
        let value = i128::from(significand);
        if !negative {
            Ok(Number::Integer(value))
        } else if significand == 0 || -value < i128::from(i64::MIN) {
            // serde_json reads `-0` and integers below i64::MIN as floats.
            Ok(Number::Float)
        } else {
            Ok(Number::Integer(-value))
        }
    }

    fn digit(&self) -> Option<u64> {
        match self.peek() {
            Some(b @ b'0'..=b'9') => Some(u64::from(b - b'0')),
            _ => None,
        }
    }
}

/// `significand * 10 + digit`, unless that overflows a u64.
fn grow(significand: u64, digit: u64) -> Option<u64> {
    significand.checked_mul(10)?.checked_add(digit)
}

/// Whether serde_json (without `float_roundtrip`) finds `significand` x
/// 10^`exponent` out of range: it multiplies the significand, as an `f64`,
/// by the power of ten from its table, and refuses an infinite product.
fn overflows(significand: u64, exponent: i32) -> bool {
    // Its table's last entries: below 1e289 no product can reach f64::MAX
    // (a u64 is below 1.9e19).
    const POW10_FROM_289: [f64; 20] = [
        1e289, 1e290, 1e291, 1e292, 1e293, 1e294, 1e295, 1e296, 1e297, 1e298, 1e299, 1e300, 1e301,
        1e302, 1e303, 1e304, 1e305, 1e306, 1e307, 1e308,
    ];
    if significand == 0 || exponent < 289 {
        return false;
    }
    match usize::try_from(exponent - 289)
        .ok()
        .and_then(|i| POW10_FROM_289.get(i))
    {
        Some(pow) => (significand as f64 * pow).is_infinite(),
        None => true,
    }
}
