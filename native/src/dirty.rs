//! Unchanged-region detection. The first pass compares whole rows (one memcmp of width*4 bytes,
//! which runs at memory speed), and only rows that differ are split into 64-pixel cells, so an
//! unchanged frame costs about one memcmp of the frame.
use crate::geometry::{px, Geometry, Rect, TILE};
use crate::overwritten::Overwritten;

/// Flags of the cell map `diff_and_hash` fills (0: unchanged, nothing more known).
pub const CHANGED: u8 = 1;
/// The cell was compared with the previous frame's cell the predicted shift away (see `diff_and_hash`)...
pub const CHECKED: u8 = 2;
/// ...and they are equal.
pub const SHIFTED: u8 = 4;

/// Sets CHANGED (and CHECKED / SHIFTED, see above) in `cells[y * tiles_x + column]` where the 64-pixel row segments of `a` and `b` differ, and
/// returns whether anything differs; fused with hashing, and optionally limited to `hint`: the rectangles outside of which the
/// caller guarantees `a` equals `b` (the agent passes exactly what its capture wrote since the last frame).
/// Cells outside the hint are marked unchanged without reading them; a cell that differs gets its hash of
/// `a` in `hashes` while it is still in the cache (a separate pass would read the whole frame again; measured
/// on a full-screen terminal scroll at 1080p). Hashes of unchanged cells are left as they are.
///
/// With `shift` (the scroll last found), every cell of a row that changed is also compared with `b`'s cell
/// `shift` rows up (row `y - shift`) and flagged CHECKED, and SHIFTED when equal: the scroll search then need
/// not compare it again. Both cells are in the cache here (`b`'s row was read a few rows ago); in the search,
/// which walks 64-pixel column strips, they were not (measured, thread CPU: the search went from ~1.7 to
/// ~0.9 ms a frame on a scrolling 1080p terminal, the diff pass from ~1.3 to ~1.9 ms).
/// `b_hashes` are the hashes of `b`'s cells: a changed cell equal to its shifted source takes that hash
/// instead of being hashed (equal content, equal hash).
///
/// With `overwrite` as well (and at most one hint rectangle), each changed cell equal to its shifted source is
/// written into `b` at once, while both are in cache (see overwritten.rs), its old content kept readable there.
/// Rows then go in the order that reads every source before it is written: top down when content moves up
/// (sources below), bottom up when it moves down.
#[allow(clippy::too_many_arguments)]
pub fn diff_and_hash(geo: &Geometry, a: &[u8], b: &mut [u8], cells: &mut [u8], hashes: &mut [u64], b_hashes: &[u64], hint: Option<&[Rect]>, shift: Option<isize>, mut overwrite: Option<&mut Overwritten>) -> bool {
    let full = [Rect { x: 0, y: 0, w: geo.width, h: geo.height }];
    let rects = match hint {
        Some(h) => {
            cells.fill(0);
            h
        }
        None => &full[..],
    };
    let stride = geo.width * 4;
    let seg = TILE * 4;
    let tx = geo.tiles_x;
    let mut any = false;
    if rects.len() > 1 {
        overwrite = None;
    }
    let k = shift.unwrap_or(0);
    let mut overwrite = overwrite.filter(|_| shift.is_some());
    if let Some(ow) = overwrite.as_deref_mut() {
        ow.begin(k);
    }
    for r in rects {
        if r.w == 0 || r.h == 0 {
            continue;
        }
        let (s0, s1) = (r.x / TILE, (r.x + r.w - 1) / TILE);
        let (x0, x1) = (s0 * seg, ((s1 + 1) * seg).min(stride));
        // Whether the last row looked at had a cell equal to its source the predicted shift away.
        let mut in_shift = false;
        let bottom_up = overwrite.is_some() && k > 0;
        for i in 0..r.h {
            let y = if bottom_up { r.y + r.h - 1 - i } else { r.y + i };
            let o = y * stride;
            let src = shift.map(|k| y as isize - k).filter(|&r| r >= 0 && (r as usize) < geo.height).map(|r| r as usize);
            // The row the shift moves this one's old content to, when it was looked at already (then its
            // SHIFTED flags say whether it holds that content).
            let moved_to = Some(y as isize + k).filter(|&t| overwrite.is_some() && t >= r.y as isize && t < (r.y + r.h) as isize && (t < y as isize) != bottom_up).map(|t| t as usize);
            if a[o + x0..o + x1] == b[o + x0..o + x1] {
                let row_cells = &mut cells[y * tx..(y + 1) * tx];
                if hint.is_none() {
                    row_cells.fill(0);
                }
                // An unchanged row inside a scrolled area (a blank pixel row between text lines) is one the
                // scroll search walks through; comparing it with its source here, while both rows are in cache,
                // spares that search a cold read of each of its cells (unchanged, so never CHANGED).
                in_shift &= src.is_some();
                if let (true, Some(r)) = (in_shift, src) {
                    in_shift = false;
                    for s in s0..=s1 {
                        let c0 = o + s * seg;
                        let c1 = o + ((s + 1) * seg).min(stride);
                        let r0 = r * stride + s * seg;
                        let equal = a[c0..c1] == b[r0..r0 + (c1 - c0)];
                        in_shift |= equal;
                        row_cells[s] = CHECKED | if equal { SHIFTED } else { 0 };
                    }
                }
                continue;
            }
            in_shift = false;
            for s in s0..=s1 {
                let c0 = o + s * seg;
                let c1 = o + ((s + 1) * seg).min(stride);
                let mut flags = 0;
                if let Some(r) = src {
                    let r0 = r * stride + s * seg;
                    flags = CHECKED | if a[c0..c1] == b[r0..r0 + (c1 - c0)] { SHIFTED } else { 0 };
                    in_shift |= flags & SHIFTED != 0;
                }
                if a[c0..c1] != b[c0..c1] {
                    any = true;
                    hashes[y * tx + s] = match src {
                        Some(r) if flags & SHIFTED != 0 => b_hashes[r * tx + s],
                        _ => cell_hash(&a[c0..c1]),
                    };
                    flags |= CHANGED;
                    if let (Some(ow), true) = (overwrite.as_deref_mut(), flags & SHIFTED != 0) {
                        let in_frame = moved_to.is_some_and(|t| cells[t * tx + s] & SHIFTED != 0);
                        ow.overwrite(geo, a, b, y, s, in_frame);
                    }
                }
                cells[y * tx + s] = flags;
            }
        }
    }
    any
}

/// Smallest rectangle inside `r` holding every pixel where `cur` and `old` differ.
pub fn changed_bbox(geo: &Geometry, cur: &[u8], old: &[u8], r: Rect) -> Option<Rect> {
    changed_bbox_where(geo, cur, old, r, |_| true)
}

/// `changed_bbox`, looking only at the rows `may_differ` admits: the caller knows the others are equal.
pub fn changed_bbox_where(geo: &Geometry, cur: &[u8], old: &[u8], r: Rect, may_differ: impl Fn(usize) -> bool) -> Option<Rect> {
    let (mut x0, mut x1, mut y0, mut y1) = (usize::MAX, 0usize, usize::MAX, 0usize);
    for y in r.y..r.y + r.h {
        if !may_differ(y) {
            continue;
        }
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
/// Four independent lanes, so the multiplies overlap instead of forming one long dependency chain
/// (measured: hashing a fully changed 1080p frame went from ~1.2 ms to ~0.4 ms).
#[inline]
pub fn cell_hash(seg: &[u8]) -> u64 {
    const K: u64 = 0xFF51_AFD7_ED55_8CCD;
    let mut h = [0x9E37_79B9_7F4A_7C15u64 ^ seg.len() as u64, 0xC2B2_AE3D_27D4_EB4F, 0x1656_67B1_9E37_79F9, 0x85EB_CA77_C2B2_AE63];
    let mut chunks = seg.chunks_exact(32);
    for c in &mut chunks {
        for (lane, hv) in h.iter_mut().enumerate() {
            let o = lane * 8;
            let w = u64::from_le_bytes([c[o], c[o + 1], c[o + 2], c[o + 3], c[o + 4], c[o + 5], c[o + 6], c[o + 7]]);
            *hv = (*hv ^ w).wrapping_mul(K).rotate_left(29);
        }
    }
    let mut x = h[0] ^ h[1].rotate_left(17) ^ h[2].rotate_left(31) ^ h[3].rotate_left(47);
    for &b in chunks.remainder() {
        x = (x ^ b as u64).wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    }
    x = (x ^ (x >> 29)).wrapping_mul(K);
    x ^ (x >> 32)
}

/// Hashes every cell of `frame` into `out` (layout as `diff_and_hash`).
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
