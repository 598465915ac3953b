//! Codes the pixels of one rectangle with the context model (encoder and decoder side by side
//! so the two cannot drift apart). Neighbours are read from the frame being built: everything
//! left of and above the current pixel is final by the time it is coded, because tiles are
//! coded in raster order and copies are applied before any tile.
use crate::geometry::{px, set_px, Rect};
use crate::model::*;
use crate::rangecoder::{RcDecoder, RcEncoder};

/// Left, up, up-left and up-right neighbours. Up-right is only read inside the rectangle: right of
/// it, the row above may belong to a tile coded later, so it stands in as `u` there.
/// `alpha` is ORed into every pixel read (0, or 0xFF000000 for an opaque encoder: see `encode_rect`).
#[inline(always)]
fn neighbours(buf: &[u8], width: usize, x: usize, y: usize, right: usize, alpha: u32) -> (u32, u32, u32, u32) {
    let i = y * width + x;
    let l = if x > 0 { px(buf, i - 1) | alpha } else if y > 0 { px(buf, i - width) | alpha } else { 0 };
    let u = if y > 0 { px(buf, i - width) | alpha } else { l };
    let ul = if x > 0 && y > 0 { px(buf, i - width - 1) | alpha } else { u };
    let ur = if y > 0 && x + 1 < right { px(buf, i - width + 1) | alpha } else { u };
    (l, u, ul, ur)
}

/// `cur` is the target frame; `old` is the decoder's framebuffer content before tile coding
/// (None for intra packets, which must not depend on it). `alpha` is ORed into every pixel the coder reads
/// (0: code the bytes as they are; 0xFF000000: the fourth byte is padding, as in X's depth-24 pixels, and is
/// coded as opaque). Both frames then hold raw bytes, the decoder the same pixels with alpha 0xFF, and every
/// prediction here is made from the ORed values, so the decoder's predictions agree.
pub fn encode_rect(rc: &mut RcEncoder, m: &mut Model, cur: &[u8], old: Option<&[u8]>, width: usize, r: Rect, alpha: u32) {
    // Two copies of the loop, with and without O, so the per-pixel test for it is compiled away.
    match old {
        Some(old) => encode_rows::<true>(rc, m, cur, old, width, r, alpha),
        None => encode_rows::<false>(rc, m, cur, &[], width, r, alpha),
    }
}

#[inline(always)]
fn word(row: &[u8], k: usize) -> u32 {
    u32::from_le_bytes([row[k * 4], row[k * 4 + 1], row[k * 4 + 2], row[k * 4 + 3]])
}

/// `encode_rect`'s loop. Along a row the neighbours are carried over from the pixel before (its pixel is the new
/// left, its up the new up-left, its up-right the new up), so each pixel reads only itself, its up-right and
/// O; the first row of the frame (no row above) and each row's first pixel take `neighbours`.
#[inline(always)]
fn encode_rows<const INTER: bool>(rc: &mut RcEncoder, m: &mut Model, cur: &[u8], old: &[u8], width: usize, r: Rect, alpha: u32) {
    let mut kind = KIND_L;
    let right = r.x + r.w;
    let n = r.w;
    for y in r.y..r.y + r.h {
        let base = (y * width + r.x) * 4;
        let row = &cur[base..base + n * 4];
        let orow = if INTER { &old[base..base + n * 4] } else { &old[..0] };
        let above = if y > 0 { &cur[base - width * 4..base - width * 4 + n * 4] } else { &cur[..0] };
        let (mut l, mut u, mut ul, mut ur) = neighbours(cur, width, r.x, y, right, alpha);
        for k in 0..n {
            if k > 0 {
                ul = u;
                l = word(row, k - 1) | alpha;
                if y > 0 {
                    u = ur;
                    ur = if k + 1 < n { word(above, k + 1) | alpha } else { u };
                } else {
                    (u, ul, ur) = (l, l, l);
                }
            }
            let p = word(row, k) | alpha;
            let o = if INTER { word(orow, k) | alpha } else { 0 };
            let ms = match_slot(l, u, ul, ur);
            let mp = m.seen[ms];
            let ctx = context(kind, l, u, ul, INTER && o == l, mp);
            m.seen[ms] = p;
            if p == l {
                rc.bit(&mut m.is_l[ctx], true);
                kind = KIND_L;
                continue;
            }
            rc.bit(&mut m.is_l[ctx], false);
            if mp != l {
                if p == mp {
                    rc.bit(&mut m.is_m[ctx], true);
                    kind = KIND_M;
                    continue;
                }
                rc.bit(&mut m.is_m[ctx], false);
            }
            if u != l && u != mp {
                if p == u {
                    rc.bit(&mut m.is_u[ctx], true);
                    kind = KIND_U;
                    continue;
                }
                rc.bit(&mut m.is_u[ctx], false);
            }
            if INTER && o != l && o != u && o != mp {
                if p == o {
                    rc.bit(&mut m.is_o[ctx], true);
                    kind = KIND_O;
                    continue;
                }
                rc.bit(&mut m.is_o[ctx], false);
            }
            let slot = cache_slot(p);
            if m.cache[slot] == p {
                rc.bit(&mut m.is_cache[ctx], true);
                rc.tree(&mut m.cache_idx, CACHE_BITS, slot as u32);
                kind = KIND_CACHE;
                continue;
            }
            rc.bit(&mut m.is_cache[ctx], false);
            let res = residuals(p, l);
            for (c, &v) in res.iter().enumerate() {
                rc.tree(&mut m.lit[c], 8, v);
            }
            m.cache[slot] = p;
            kind = KIND_LIT;
        }
    }
}

/// Mirror of `encode_rect`, writing into `fb`. `intra` must match the packet's intra flag.
pub fn decode_rect(rd: &mut RcDecoder, m: &mut Model, fb: &mut [u8], intra: bool, width: usize, r: Rect) {
    let mut kind = KIND_L;
    for y in r.y..r.y + r.h {
        for x in r.x..r.x + r.w {
            let i = y * width + x;
            let (l, u, ul, ur) = neighbours(fb, width, x, y, r.x + r.w, 0);
            let o = if intra { None } else { Some(px(fb, i)) };
            let ms = match_slot(l, u, ul, ur);
            let mp = m.seen[ms];
            let ctx = context(kind, l, u, ul, o == Some(l), mp);
            let p;
            if rd.bit(&mut m.is_l[ctx]) {
                p = l;
                kind = KIND_L;
            } else if mp != l && rd.bit(&mut m.is_m[ctx]) {
                p = mp;
                kind = KIND_M;
            } else if u != l && u != mp && rd.bit(&mut m.is_u[ctx]) {
                p = u;
                kind = KIND_U;
            } else if matches!(o, Some(o) if o != l && o != u && o != mp) && rd.bit(&mut m.is_o[ctx]) {
                p = o.unwrap_or(0);
                kind = KIND_O;
            } else if rd.bit(&mut m.is_cache[ctx]) {
                let slot = rd.tree(&mut m.cache_idx, CACHE_BITS) as usize;
                p = m.cache[slot];
                kind = KIND_CACHE;
            } else {
                let mut res = [0u32; 4];
                for (c, v) in res.iter_mut().enumerate() {
                    *v = rd.tree(&mut m.lit[c], 8);
                }
                p = from_residuals(res, l);
                // The encoder files literals under their own hash; a hostile stream can only
                // make this slot disagree with what an encoder would have produced, never overflow.
                m.cache[cache_slot(p)] = p;
                kind = KIND_LIT;
            }
            m.seen[ms] = p;
            set_px(fb, i, p);
        }
    }
}
