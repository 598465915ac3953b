//! Window-move detection (2-D translation). Scroll detection (scroll.rs) only finds vertical
//! shifts inside a column strip; a dragged window moves diagonally. Here a few distinctive row
//! segments of changed tiles are looked up in the previous frame within +-RADIUS pixels with a
//! rolling hash, the displacements found are voted on, and each changed tile then takes the
//! winning displacement if copying from there makes more of its pixels right than leaving it.
use crate::geometry::{px, CopyOp, Geometry, Rect, TILE};

/// Search radius in pixels. Window drags at 15 frames/s move 10-60 px a frame in our recordings.
const RADIUS: usize = 96;
/// Sampled tiles per frame; each search costs about (2R+1)*(2R+64) hash steps (~50 us).
const SAMPLES: usize = 12;
/// Fewer changed tiles than this are cheaper to code than to search.
const MIN_TILES: usize = 4;
/// The full search (~1 ms per sample) runs only when this many pixels changed: a dragged window
/// changes 100k+, while what scrolling leaves behind (new lines, a scrollbar) is 5-20k and would
/// pay the search on every frame for nothing (measured on web-cargo: 10 ms a frame).
const SEARCH_MIN_PIXELS: usize = 40_000;
/// A tile takes a copy only if it gains this many correct pixels (a copy op costs ~10 bytes).
const MIN_GAIN: usize = 128;
/// The full search is skipped when the frame's scroll copies cover more than this many times the pixels
/// still changed: the frame is a scroll, and what is left is the content it revealed, which no displacement
/// explains (measured on a Chromium page scrolled by the wheel at 1080p: the search was ~1.5 ms of a ~5 ms
/// frame and found nothing; a dragged window leaves few rows that match at a vertical shift).
const SCROLL_EXPLAINS: usize = 2;
const BASE: u64 = 0x100_0000_01B3;

#[derive(Default)]
pub struct Moves {
    votes: Vec<((isize, isize), u32)>,
    /// Displacements chosen last frame: a drag keeps its speed for many frames, so checking these
    /// first usually makes the search unnecessary (measured: the search is ~10 ms of a drag frame).
    last: Vec<(isize, isize)>,
}

fn vote(votes: &mut Vec<((isize, isize), u32)>, v: (isize, isize)) {
    match votes.iter_mut().find(|(k, _)| *k == v) {
        Some((_, n)) => *n += 1,
        None => votes.push((v, 1)),
    }
}

/// Pixels of `r` equal to `cur` when read from `src` displaced by `v` (0,0 for in place).
fn matching(w: usize, cur: &[u8], src: &[u8], r: Rect, v: (isize, isize)) -> usize {
    let mut n = 0;
    for y in r.y..r.y + r.h {
        let d = (y * w + r.x) * 4;
        let s = (((y as isize - v.1) as usize) * w + (r.x as isize - v.0) as usize) * 4;
        let a = &cur[d..d + r.w * 4];
        let b = &src[s..s + r.w * 4];
        n += if a == b { r.w } else { a.chunks_exact(4).zip(b.chunks_exact(4)).filter(|(p, q)| p == q).count() };
    }
    n
}

fn seg_hash(buf: &[u8], start: usize, n: usize) -> u64 {
    let mut h = 0u64;
    for i in 0..n {
        h = h.wrapping_mul(BASE).wrapping_add(px(buf, start + i) as u64);
    }
    h
}

impl Moves {
    /// `tiles`: changed tiles (index, changed rectangle) against `old`. Returns copies ordered so
    /// each reads its source before a later copy overwrites it (descending along the motion).
    /// `scrolled_px`: pixels the scroll copies of this frame already cover (see SCROLL_EXPLAINS).
    pub fn detect(&mut self, geo: &Geometry, cur: &[u8], old: &[u8], tiles: &[(usize, Rect)], scrolled_px: usize) -> Vec<CopyOp> {
        if tiles.len() < MIN_TILES {
            return Vec::new();
        }
        let (w, h) = (geo.width, geo.height);
        self.votes.clear();
        let mut pow = 1u64; // BASE^(TILE-1): weight of the pixel leaving the rolling window
        for _ in 0..TILE - 1 {
            pow = pow.wrapping_mul(BASE);
        }
        let step = (tiles.len() / SAMPLES).max(1);
        let seg = TILE * 4;
        // Samples: a row of the changed part with at least two colours (flat rows match anywhere).
        let mut samples: Vec<(usize, usize)> = Vec::with_capacity(SAMPLES);
        for &(t, changed) in tiles.iter().step_by(step).take(SAMPLES) {
            let tr = geo.tile_rect(t);
            if tr.w != TILE {
                continue;
            }
            if let Some(y) = (changed.y..changed.y + changed.h).find(|&y| {
                let s = y * w + tr.x;
                (1..TILE).any(|i| px(cur, s + i) != px(cur, s))
            }) {
                samples.push((tr.x, y));
            }
        }
        let at = |x: usize, y: usize| (y * w + x) * 4;
        for &v in &self.last {
            for &(x, y) in &samples {
                let (sx, sy) = (x as isize - v.0, y as isize - v.1);
                if sx >= 0 && sy >= 0 && sx as usize + TILE <= w && (sy as usize) < h {
                    let (s, d) = (at(sx as usize, sy as usize), at(x, y));
                    if old[s..s + seg] == cur[d..d + seg] {
                        vote(&mut self.votes, v);
                    }
                }
            }
        }
        let changed_px: usize = tiles.iter().map(|(_, r)| r.w * r.h).sum();
        if !self.votes.iter().any(|(_, n)| *n >= 2) {
            self.votes.clear();
            if changed_px < SEARCH_MIN_PIXELS || scrolled_px > changed_px * SCROLL_EXPLAINS {
                self.last.clear();
                return Vec::new();
            }
            for &(x, y) in &samples {
                let target = seg_hash(cur, y * w + x, TILE);
                let x_lo = x.saturating_sub(RADIUS);
                let x_hi = (x + RADIUS).min(w - TILE);
                for ry in y.saturating_sub(RADIUS)..=(y + RADIUS).min(h - 1) {
                    let row = ry * w;
                    let mut hsh = seg_hash(old, row + x_lo, TILE);
                    let mut sx = x_lo;
                    loop {
                        if hsh == target && (sx != x || ry != y) && old[(row + sx) * 4..(row + sx + TILE) * 4] == cur[(y * w + x) * 4..(y * w + x + TILE) * 4] {
                            vote(&mut self.votes, (x as isize - sx as isize, y as isize - ry as isize));
                        }
                        if sx == x_hi {
                            break;
                        }
                        let out = px(old, row + sx) as u64;
                        let inn = px(old, row + sx + TILE) as u64;
                        hsh = hsh.wrapping_sub(out.wrapping_mul(pow)).wrapping_mul(BASE).wrapping_add(inn);
                        sx += 1;
                    }
                }
            }
        }
        self.votes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let cands: Vec<(isize, isize)> = self.votes.iter().filter(|(_, n)| *n >= 2).take(3).map(|(v, _)| *v).collect();
        self.last = cands.clone();
        if cands.is_empty() {
            return Vec::new();
        }
        // Per tile: the candidate that makes the most pixels equal to `cur`.
        let mut picked: Vec<((isize, isize), Rect)> = Vec::new();
        for &(t, _) in tiles {
            let tr = geo.tile_rect(t);
            let in_place = matching(w, cur, old, tr, (0, 0));
            let mut best: Option<((isize, isize), Rect, usize)> = None;
            for &v in &cands {
                // Clip the destination so the source lies inside the frame.
                let x0 = (tr.x as isize).max(v.0) as usize;
                let y0 = (tr.y as isize).max(v.1) as usize;
                let x1 = ((tr.x + tr.w) as isize).min(w as isize + v.0);
                let y1 = ((tr.y + tr.h) as isize).min(h as isize + v.1);
                if x1 <= x0 as isize || y1 <= y0 as isize {
                    continue;
                }
                let r = Rect { x: x0, y: y0, w: x1 as usize - x0, h: y1 as usize - y0 };
                let here = if r == tr { in_place } else { matching(w, cur, old, r, (0, 0)) };
                let gain = matching(w, cur, old, r, v) as isize - here as isize;
                if gain >= MIN_GAIN as isize && best.is_none_or(|b| gain as usize > b.2) {
                    best = Some((v, r, gain as usize));
                }
            }
            if let Some((v, r, _)) = best {
                picked.push((v, r));
            }
        }
        merge_and_order(picked)
    }
}

/// Joins horizontally adjacent rectangles with the same displacement and rows, then orders copies
/// by descending position along their displacement so none reads an already-moved source.
fn merge_and_order(mut picked: Vec<((isize, isize), Rect)>) -> Vec<CopyOp> {
    picked.sort_by_key(|(v, r)| (*v, r.y, r.h, r.x));
    let mut merged: Vec<((isize, isize), Rect)> = Vec::new();
    for (v, r) in picked {
        if let Some((lv, lr)) = merged.last_mut() {
            if *lv == v && lr.y == r.y && lr.h == r.h && lr.x + lr.w == r.x {
                lr.w += r.w;
                continue;
            }
        }
        merged.push((v, r));
    }
    merged.sort_by_key(|(v, r)| -(r.x as isize * v.0 + r.y as isize * v.1));
    merged
        .into_iter()
        .map(|(v, r)| CopyOp { sx: (r.x as isize - v.0) as usize, sy: (r.y as isize - v.1) as usize, w: r.w, h: r.h, dx: r.x, dy: r.y })
        .collect()
}
