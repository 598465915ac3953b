//! Adaptive binary range coder (the LZMA construction: 32-bit range, 12-bit probabilities).
//! Chosen because it is short enough to mirror exactly in TypeScript and each coded decision
//! costs a multiply and a compare; the context model in model.rs supplies the probabilities.

pub const PROB_BITS: u32 = 12;
pub const PROB_ONE: u32 = 1 << PROB_BITS;
pub const PROB_INIT: u16 = (PROB_ONE / 2) as u16;
/// Adaptation rate: 1/16 of the error per decision. Faster than LZMA's 1/32 because tiles are
/// short and their statistics shift between text, flat UI and photos (measured on the corpus).
pub const ADAPT_SHIFT: u32 = 4;
const TOP: u32 = 1 << 24;

pub struct RcEncoder {
    low: u64,
    range: u32,
    cache: u8,
    cache_size: u64,
    out: Vec<u8>,
}

impl Default for RcEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl RcEncoder {
    pub fn new() -> Self {
        RcEncoder { low: 0, range: 0xFFFF_FFFF, cache: 0, cache_size: 1, out: Vec::new() }
    }

    #[inline(always)]
    pub fn bit(&mut self, p: &mut u16, bit: bool) {
        let (mut low, mut range) = (self.low, self.range);
        Self::code(&mut low, &mut range, p, bit);
        self.low = low;
        self.range = range;
        if range < TOP {
            self.normalize();
        }
    }

    /// One decision on the state held in locals: the callers keep `low` and `range` in registers across a
    /// pixel's decisions (they were stored back to `self` after every one), and normalize out of line.
    #[inline(always)]
    fn code(low: &mut u64, range: &mut u32, p: &mut u16, bit: bool) {
        let bound = (*range >> PROB_BITS) * (*p as u32);
        if !bit {
            *range = bound;
            *p += ((PROB_ONE - *p as u32) >> ADAPT_SHIFT) as u16;
        } else {
            *low += bound as u64;
            *range -= bound;
            *p -= *p >> ADAPT_SHIFT;
        }
    }

    #[inline(never)]
    fn normalize(&mut self) {
        while self.range < TOP {
            self.range <<= 8;
            self.shift_low();
        }
    }

    /// Codes `nbits` bits of `value`, most significant first, through a binary tree of
    /// probabilities (`probs.len() >= 1 << nbits`).
    #[inline(always)]
    pub fn tree(&mut self, probs: &mut [u16], nbits: u32, value: u32) {
        let mut node = 1usize;
        let (mut low, mut range) = (self.low, self.range);
        for i in (0..nbits).rev() {
            let b = (value >> i) & 1;
            Self::code(&mut low, &mut range, &mut probs[node], b != 0);
            if range < TOP {
                self.low = low;
                self.range = range;
                self.normalize();
                (low, range) = (self.low, self.range);
            }
            node = (node << 1) | b as usize;
        }
        self.low = low;
        self.range = range;
    }

    fn shift_low(&mut self) {
        if (self.low as u32) < 0xFF00_0000 || (self.low >> 32) != 0 {
            let carry = (self.low >> 32) as u8;
            let mut temp = self.cache;
            loop {
                self.out.push(temp.wrapping_add(carry));
                temp = 0xFF;
                self.cache_size -= 1;
                if self.cache_size == 0 {
                    break;
                }
            }
            self.cache = ((self.low >> 24) & 0xFF) as u8;
        }
        self.cache_size += 1;
        self.low = (self.low & 0x00FF_FFFF) << 8;
    }

    /// Flushes and returns the stream. The first byte of an LZMA-style stream is always zero and
    /// the decoder reads zeros past the end, so both the leading zero and trailing zeros are dropped.
    pub fn finish(mut self) -> Vec<u8> {
        for _ in 0..5 {
            self.shift_low();
        }
        let mut out = self.out;
        debug_assert_eq!(out.first(), Some(&0));
        while out.last() == Some(&0) {
            out.pop();
        }
        if !out.is_empty() {
            out.remove(0);
        }
        out
    }
}

pub struct RcDecoder<'a> {
    data: &'a [u8],
    pos: usize,
    range: u32,
    code: u32,
    /// Bytes read past the end. Reading zeros there is part of the format (trailing zeros are
    /// trimmed), but a stream that needs far more than the flush length is corrupt.
    pub overrun: usize,
}

impl<'a> RcDecoder<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        let mut d = RcDecoder { data, pos: 0, range: 0xFFFF_FFFF, code: 0, overrun: 0 };
        for _ in 0..4 {
            d.code = (d.code << 8) | d.next_byte() as u32;
        }
        d
    }

    #[inline(always)]
    fn next_byte(&mut self) -> u8 {
        if self.pos < self.data.len() {
            let b = self.data[self.pos];
            self.pos += 1;
            b
        } else {
            self.overrun += 1;
            0
        }
    }

    #[inline(always)]
    pub fn bit(&mut self, p: &mut u16) -> bool {
        let bound = (self.range >> PROB_BITS) * (*p as u32);
        let bit = if self.code < bound {
            self.range = bound;
            *p += ((PROB_ONE - *p as u32) >> ADAPT_SHIFT) as u16;
            false
        } else {
            self.code -= bound;
            self.range -= bound;
            *p -= *p >> ADAPT_SHIFT;
            true
        };
        while self.range < TOP {
            self.range <<= 8;
            self.code = (self.code << 8) | self.next_byte() as u32;
        }
        bit
    }

    #[inline(always)]
    pub fn tree(&mut self, probs: &mut [u16], nbits: u32) -> u32 {
        let mut node = 1usize;
        for _ in 0..nbits {
            let b = self.bit(&mut probs[node]) as usize;
            node = (node << 1) | b;
        }
        (node - (1 << nbits)) as u32
    }

    /// True when the stream was not fully consumed: a valid stream leaves nothing unread.
    pub fn has_unread(&self) -> bool {
        self.pos < self.data.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_bits_and_trees() {
        let mut seed = 12345u32;
        let mut rnd = || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed
        };
        let vals: Vec<u32> = (0..20000).map(|_| rnd()).collect();
        let mut e = RcEncoder::new();
        let mut p = [PROB_INIT; 4];
        let mut t = [PROB_INIT; 256];
        for &v in &vals {
            e.bit(&mut p[(v & 3) as usize], v & 0x100 != 0 && v & 0x200 != 0);
            e.tree(&mut t, 8, v >> 24);
        }
        let bytes = e.finish();
        let mut d = RcDecoder::new(&bytes);
        let mut p = [PROB_INIT; 4];
        let mut t = [PROB_INIT; 256];
        for &v in &vals {
            assert_eq!(d.bit(&mut p[(v & 3) as usize]), v & 0x100 != 0 && v & 0x200 != 0);
            assert_eq!(d.tree(&mut t, 8), v >> 24);
        }
        assert!(!d.has_unread());
    }
}
