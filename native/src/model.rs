//! Context model for coding one pixel given its already-known neighbours.
//!
//! A pixel is coded as the first match in the candidate list: left (L), up (U), the pixel that
//! was at the same place before this packet (O, "old", inter packets only), a 64-entry cache of
//! recently coded literal colours, and finally a literal (per-channel residual against L, with the
//! green residual subtracted from red and blue because anti-aliased text is mostly grey).
//! Each yes/no decision is coded with a probability chosen by the context below.
use crate::rangecoder::PROB_INIT;

/// Kinds of the previous pixel's symbol; the kind is part of the context because runs of one
/// kind (background = L, scrolled-in old text = O) dominate screen content.
pub const KIND_L: usize = 0;
pub const KIND_U: usize = 1;
pub const KIND_O: usize = 2;
pub const KIND_CACHE: usize = 3;
pub const KIND_LIT: usize = 4;
pub const KIND_M: usize = 5;
pub const KINDS: usize = 6;
pub const CTX: usize = KINDS * 32;
pub const CACHE_BITS: u32 = 6;
pub const CACHE_SIZE: usize = 1 << CACHE_BITS;
pub const MATCH_BITS: u32 = 16;

pub struct Model {
    pub is_l: [u16; CTX],
    pub is_u: [u16; CTX],
    pub is_o: [u16; CTX],
    pub is_cache: [u16; CTX],
    pub is_m: [u16; CTX],
    pub cache_idx: [u16; CACHE_SIZE],
    /// Residual trees: green, red-minus-green, blue-minus-green, alpha.
    pub lit: [[u16; 256]; 4],
    pub cache: [u32; CACHE_SIZE],
    /// Neighbourhood hash -> the pixel that last followed that neighbourhood (candidate M).
    /// Glyphs repeat, so in text the same neighbourhood is usually followed by the same pixel.
    pub seen: Vec<u32>,
}

impl Default for Model {
    fn default() -> Self {
        Self::new()
    }
}

impl Model {
    pub fn new() -> Self {
        Model {
            is_l: [PROB_INIT; CTX],
            is_u: [PROB_INIT; CTX],
            is_o: [PROB_INIT; CTX],
            is_cache: [PROB_INIT; CTX],
            is_m: [PROB_INIT; CTX],
            cache_idx: [PROB_INIT; CACHE_SIZE],
            lit: [[PROB_INIT; 256]; 4],
            cache: [0; CACHE_SIZE],
            seen: vec![0; 1 << MATCH_BITS],
        }
    }
}

#[inline(always)]
pub fn cache_slot(p: u32) -> usize {
    (p.wrapping_mul(0x1E35_A7BD) >> (32 - CACHE_BITS)) as usize
}

#[inline(always)]
pub fn match_slot(l: u32, u: u32, ul: u32, ur: u32) -> usize {
    let h = l.wrapping_mul(0x9E37_79B1) ^ u.wrapping_mul(0x85EB_CA77) ^ ul.wrapping_mul(0xC2B2_AE3D) ^ ur.wrapping_mul(0x27D4_EB2F);
    (((h ^ (h >> 15)).wrapping_mul(0x2C1B_3C6D)) >> (32 - MATCH_BITS)) as usize
}

/// Context index: previous kind, and which of the neighbours agree with each other.
#[inline(always)]
pub fn context(kind: usize, l: u32, u: u32, ul: u32, o_eq_l: bool, m: u32) -> usize {
    kind * 32 + (l == u) as usize + (((u == ul) as usize) << 1) + ((o_eq_l as usize) << 2) + (((m == u) as usize) << 3) + (((m == l) as usize) << 4)
}

/// Residuals of a literal against its left neighbour (see module doc), as four bytes.
#[inline(always)]
pub fn residuals(p: u32, l: u32) -> [u32; 4] {
    let ch = |v: u32, s: u32| (v >> s) & 0xFF;
    let dg = ch(p, 8).wrapping_sub(ch(l, 8)) & 0xFF;
    let dr = ch(p, 16).wrapping_sub(ch(l, 16)).wrapping_sub(dg) & 0xFF;
    let db = ch(p, 0).wrapping_sub(ch(l, 0)).wrapping_sub(dg) & 0xFF;
    let da = ch(p, 24).wrapping_sub(ch(l, 24)) & 0xFF;
    [dg, dr, db, da]
}

#[inline(always)]
pub fn from_residuals(r: [u32; 4], l: u32) -> u32 {
    let ch = |v: u32, s: u32| (v >> s) & 0xFF;
    let g = (ch(l, 8) + r[0]) & 0xFF;
    let red = (ch(l, 16) + r[1] + r[0]) & 0xFF;
    let b = (ch(l, 0) + r[2] + r[0]) & 0xFF;
    let a = (ch(l, 24) + r[3]) & 0xFF;
    b | (g << 8) | (red << 16) | (a << 24)
}
