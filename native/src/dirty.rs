//! Unchanged-region detection. The first pass compares whole rows (one memcmp of width*4 bytes,
//! which runs at memory speed), and only rows that differ are split into 64-pixel cells, so an
//! unchanged frame costs about one memcmp of the frame.
use crate::geometry::{px, Geometry, Rect, TILE};

/// Fills `cells[y * tiles_x + column]` with 1 where the 64-pixel row segments of `a` and `b`
/// differ. Returns whether anything differs.
pub fn dirty_cells(geo: &Geometry, a: &[u8], b: &[u8], cells: &mut [u8]) -> bool {
    let stride = geo.width * 4;
    let seg = TILE * 4;
    let mut any = false;
    for y in 0..geo.height {
        let ra = &a[y * stride..(y + 1) * stride];
        let rb = &b[y * stride..(y + 1) * stride];
        let row_cells = &mut cells[y * geo.tiles_x..(y + 1) * geo.tiles_x];
        if ra == rb {
            row_cells.fill(0);
            continue;
        }
        any = true;
        for (s, c) in row_cells.iter_mut().enumerate() {
            let x0 = s * seg;
            let x1 = (x0 + seg).min(stride);
            *c = (ra[x0..x1] != rb[x0..x1]) as u8;
        }
    }
    any
}

/// Smallest rectangle inside `r` holding every pixel where `cur` and `old` differ.
pub fn changed_bbox(geo: &Geometry, cur: &[u8], old: &[u8], r: Rect) -> Option<Rect> {
    let (mut x0, mut x1, mut y0, mut y1) = (usize::MAX, 0usize, usize::MAX, 0usize);
    for y in r.y..r.y + r.h {
        let s = (y * geo.width + r.x) * 4;
        let e = s + r.w * 4;
        if cur[s..e] == old[s..e] {
            continue;
        }
        let base = y * geo.width;
        let mut first = r.x;
        while px(cur, base + first) == px(old, base + first) {
            first += 1;
        }
        let mut last = r.x + r.w - 1;
        while px(cur, base + last) == px(old, base + last) {
            last -= 1;
        }
        x0 = x0.min(first);
        x1 = x1.max(last);
        y0 = y0.min(y);
        y1 = y;
    }
    if y0 == usize::MAX {
        None
    } else {
        Some(Rect { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 })
    }
}

/// Hash of one 64-pixel row segment, used to find where a row came from when content scrolls.
#[inline]
pub fn cell_hash(seg: &[u8]) -> u64 {
    let mut h: u64 = 0x9E37_79B9_7F4A_7C15 ^ seg.len() as u64;
    let mut chunks = seg.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        h = (h ^ w).wrapping_mul(0xFF51_AFD7_ED55_8CCD).rotate_left(29);
    }
    for &b in chunks.remainder() {
        h = (h ^ b as u64).wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    }
    h ^ (h >> 31)
}

/// Hashes every cell of `frame` into `out` (layout as `dirty_cells`).
pub fn hash_all(geo: &Geometry, frame: &[u8], out: &mut [u64]) {
    let stride = geo.width * 4;
    let seg = TILE * 4;
    for y in 0..geo.height {
        let row = &frame[y * stride..(y + 1) * stride];
        for s in 0..geo.tiles_x {
            let x0 = s * seg;
            out[y * geo.tiles_x + s] = cell_hash(&row[x0..(x0 + seg).min(stride)]);
        }
    }
}
