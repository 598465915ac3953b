//! Scroll detection: finds, per 64-pixel column strip, one vertical shift under which many changed
//! rows of the new frame equal rows of the previous frame, and turns runs of such rows into copy
//! operations. Scrolling text is the common case and the one tile codecs pay for in full; a copy
//! costs a few bytes. Strips are found independently and merged afterwards, so a scrolling pane
//! beside a fixed sidebar or scrollbar is still found.
use crate::dirty::{cell_hash, CHANGED, CHECKED, SHIFTED};
use crate::geometry::{CopyOp, Geometry, Rect, TILE};
use crate::overwritten::Overwritten;

/// A strip needs this many changed rows before looking for a shift (below it, coding is cheap).
const MIN_DIRTY_ROWS: usize = 4;
/// Votes needed for a shift; one matching row can be chance (two identical text lines).
const MIN_VOTES: u32 = 3;
/// Shortest run of matching rows worth a copy op (an op costs about 8-12 bytes).
const MIN_RUN: usize = 2;
/// `estimate` looks only at changed rectangles at least this tall (a shorter one holds too few rows to vote on).
const ESTIMATE_MIN_ROWS: usize = 32;
/// `estimate` hashes every this many rows of its strips.
const ESTIMATE_STEP: usize = 2;

/// Scratch reused across frames so detection allocates nothing per frame.
pub struct Scroll {
    keys: Vec<u64>,
    rows: Vec<i32>,
    stamp: Vec<u32>,
    gen: u32,
    votes: Vec<u32>,
    touched: Vec<usize>,
    /// `estimate`'s sampled rows (row, hash of its cell).
    sample: Vec<(usize, u64)>,
    /// The shift last found (in this frame's previous strip, or the last frame): tried first, see `detect`.
    recent: Option<isize>,
}

const AMBIGUOUS: i32 = -1;

impl Scroll {
    pub fn new(geo: &Geometry) -> Self {
        let cap = (geo.height * 2).next_power_of_two();
        Scroll {
            keys: vec![0; cap],
            rows: vec![0; cap],
            stamp: vec![0; cap],
            gen: 0,
            votes: vec![0; geo.height * 2 + 1],
            touched: Vec::new(),
            sample: Vec::new(),
            recent: None,
        }
    }

    fn slot(&self, h: u64) -> usize {
        (h.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as usize & (self.keys.len() - 1)
    }

    fn insert(&mut self, h: u64, row: i32) {
        let mask = self.keys.len() - 1;
        let mut i = self.slot(h);
        loop {
            if self.stamp[i] != self.gen {
                self.stamp[i] = self.gen;
                self.keys[i] = h;
                self.rows[i] = row;
                return;
            }
            if self.keys[i] == h {
                self.rows[i] = AMBIGUOUS;
                return;
            }
            i = (i + 1) & mask;
        }
    }

    fn lookup(&self, h: u64) -> Option<i32> {
        let mask = self.keys.len() - 1;
        let mut i = self.slot(h);
        loop {
            if self.stamp[i] != self.gen {
                return None;
            }
            if self.keys[i] == h {
                return Some(self.rows[i]);
            }
            i = (i + 1) & mask;
        }
    }

    /// The shift most changed rows of strip `s` agree on (rows looked up by hash among the previous
    /// frame's unique rows), if at least MIN_VOTES do.
    fn vote(&mut self, cells: &[u8], cur_h: &[u64], old_h: &[u64], tx: usize, h: usize, s: usize) -> Option<isize> {
        let rows = (0..h).filter(|&y| cells[y * tx + s] & CHANGED != 0).map(|y| (y, cur_h[y * tx + s]));
        self.vote_rows(old_h, tx, h, s, rows).map(|(k, _)| k)
    }

    /// The shift most of `rows` (row, hash of its cell in strip `s`) agree on, with its votes, if at least
    /// MIN_VOTES: each row is looked up among the previous frame's unique rows of the strip.
    fn vote_rows(&mut self, old_h: &[u64], tx: usize, h: usize, s: usize, rows: impl Iterator<Item = (usize, u64)>) -> Option<(isize, u32)> {
        self.gen = self.gen.wrapping_add(1);
        if self.gen == 0 {
            self.stamp.fill(0);
            self.gen = 1;
        }
        for y in 0..h {
            self.insert(old_h[y * tx + s], y as i32);
        }
        for &t in &self.touched {
            self.votes[t] = 0;
        }
        self.touched.clear();
        for (y, hash) in rows {
            if let Some(r) = self.lookup(hash) {
                if r >= 0 && r as usize != y {
                    let k = y + h - r as usize;
                    if self.votes[k] == 0 {
                        self.touched.push(k);
                    }
                    self.votes[k] += 1;
                }
            }
        }
        let &best = self.touched.iter().max_by_key(|&&k| (self.votes[k], std::cmp::Reverse(k)))?;
        (self.votes[best] >= MIN_VOTES).then(|| (best as isize - h as isize, self.votes[best]))
    }

    /// This frame's shift, guessed before the diff pass so that the pass checks cells against it (a guess that
    /// is right spares the pass hashing every scrolled cell, and the search reading them again): the cells of
    /// two column strips of the largest changed rectangle (`hint`, else the frame) are hashed and voted on like
    /// a strip in `detect`. A smooth-scrolled page moves by a different amount every frame, so the shift last
    /// found is seldom right there (measured on Chromium scrolled by the wheel at 1080p). None when no shift
    /// gets MIN_VOTES; the caller then keeps the shift last found.
    pub fn estimate(&mut self, geo: &Geometry, cur: &[u8], old: &[u8], old_h: &[u64], hint: Option<&[Rect]>) -> Option<isize> {
        let (h, tx) = (geo.height, geo.tiles_x);
        let full = Rect { x: 0, y: 0, w: geo.width, h };
        let r = hint.map_or(Some(full), |rs| rs.iter().copied().max_by_key(|r| r.w * r.h))?;
        if r.h < ESTIMATE_MIN_ROWS {
            return None;
        }
        let stride = geo.width * 4;
        let strips = [(r.x + r.w / 2) / TILE, (r.x + r.w / 4) / TILE];
        let mut best: Option<(isize, u32)> = None;
        for (i, &s) in strips.iter().enumerate() {
            if i > 0 && s == strips[0] {
                break;
            }
            let x0 = s * TILE * 4;
            let x1 = (x0 + TILE * 4).min(stride);
            // Every ESTIMATE_STEP-th row: a page has far more distinct rows than the votes needed. Only changed
            // cells are hashed (an unchanged one cannot vote), so an unchanged frame costs a compare, not a hash.
            self.sample.clear();
            let rows = (r.y..r.y + r.h).step_by(ESTIMATE_STEP).filter(|&y| cur[y * stride + x0..y * stride + x1] != old[y * stride + x0..y * stride + x1]);
            self.sample.extend(rows.map(|y| (y, cell_hash(&cur[y * stride + x0..y * stride + x1]))));
            // The shift last found usually still holds (a terminal scrolled a line at a time): checked first
            // against the rows it names, without building the table.
            if let Some(k) = self.recent {
                let agree = self.sample.iter().filter(|&&(y, hash)| {
                    let r = y as isize - k;
                    r >= 0 && (r as usize) < h && old_h[r as usize * tx + s] == hash
                });
                if explains_most(agree.count(), self.sample.len()) {
                    return Some(k);
                }
            }
            let sample = std::mem::take(&mut self.sample);
            let found = self.vote_rows(old_h, tx, h, s, sample.iter().copied());
            self.sample = sample;
            if let Some(found) = found {
                if best.is_none_or(|b| found.1 > b.1) {
                    best = Some(found);
                }
            }
        }
        best.map(|(k, _)| k)
    }

    /// Sets the shift `detect` treats as predicted (the one `diff_and_hash` checked cells against).
    pub fn predict(&mut self, shift: Option<isize>) {
        self.recent = shift;
    }

    /// The shift last found, which `diff_and_hash` checks changed cells against in its pass.
    pub fn recent(&self) -> Option<isize> {
        self.recent
    }

    /// `cells`: dirty map of cur vs old (`dirty::diff_and_hash`, SHIFTED against `recent()`); `cur_h`/`old_h`: cell hashes of the two frames.
    /// Returns copies ordered so that applying them in sequence is correct (see `order`).
    /// `old` is the reference as the diff pass left it, `overwritten` what that pass wrote into it.
    #[allow(clippy::too_many_arguments)]
    pub fn detect(&mut self, geo: &Geometry, cur: &[u8], old: &[u8], overwritten: &Overwritten, cells: &[u8], cur_h: &[u64], old_h: &[u64]) -> Vec<CopyOp> {
        let (w, h, tx) = (geo.width, geo.height, geo.tiles_x);
        let stride = w * 4;
        // (strip, first row, length, shift)
        let mut runs: Vec<(usize, usize, usize, isize)> = Vec::new();
        let predicted = self.recent;
        // Per strip: changed rows, and of them those equal (by hash) to the row the predicted shift away.
        // Counted row by row for all strips at once: the maps are laid out by row, and walking them a strip
        // at a time touched a new cache line per cell.
        let (dirty, explained) = count_rows(cells, cur_h, old_h, tx, h, predicted);
        for s in 0..tx {
            let dirty = dirty[s];
            if dirty < MIN_DIRTY_ROWS {
                continue;
            }
            // A scrolled page moves every strip by the same shift, frame after frame: when the shift last found
            // explains most changed rows of this strip (by hash), no other shift can win the vote, so the
            // table is skipped (building it was ~1 ms of a full-screen terminal scroll at 1080p, 30 strips).
            // `explained` counts against `predicted`; once a strip of this frame found another shift, that one
            // is tried on the next strips, counted the old way.
            let explains = |k: isize| if Some(k) == predicted { explains_most(explained[s], dirty) } else { explains_most(count_explained(cells, cur_h, old_h, tx, h, s, k), dirty) };
            let shift = match self.recent.filter(|&k| explains(k)) {
                Some(k) => k,
                None => match self.vote(cells, cur_h, old_h, tx, h, s) {
                    Some(k) => k,
                    None => continue,
                },
            };
            self.recent = Some(shift);
            let x0 = s * TILE * 4;
            let x1 = (x0 + TILE * 4).min(stride);
            let predicted = predicted == Some(shift);
            let matches = |y: usize| -> bool {
                // The diff pass may have compared this cell with this shift's source already.
                if predicted && cells[y * tx + s] & CHECKED != 0 {
                    return cells[y * tx + s] & SHIFTED != 0;
                }
                let r = y as isize - shift;
                if r < 0 || r >= h as isize {
                    return false;
                }
                let r = r as usize;
                cur_h[y * tx + s] == old_h[r * tx + s] && cur[y * stride + x0..y * stride + x1] == *overwritten.old_cell(geo, cur, old, r, s)
            };
            // Runs start at a changed row (rows already right need no copy) and continue through
            // matching rows, changed or not, so blank lines do not split a scrolled page into one
            // copy per text line. Checking only from changed rows keeps static strips cheap.
            let mut y = 0;
            while y < h {
                if cells[y * tx + s] & CHANGED == 0 || !matches(y) {
                    y += 1;
                    continue;
                }
                let start = y;
                while y < h && matches(y) {
                    y += 1;
                }
                if y - start >= MIN_RUN {
                    runs.push((s, start, y - start, shift));
                }
            }
        }
        merge_and_order(geo, runs)
    }
}

/// Whether a shift that `n` of a strip's `dirty` changed rows agree with (by hash) explains most of them:
/// more than half, and at least MIN_VOTES.
fn explains_most(n: usize, dirty: usize) -> bool {
    n >= MIN_VOTES as usize && n * 2 > dirty
}

/// Changed rows of strip `s` equal (by hash) to the previous frame's row `shift` rows away.
fn count_explained(cells: &[u8], cur_h: &[u64], old_h: &[u64], tx: usize, h: usize, s: usize, shift: isize) -> usize {
    (0..h)
        .filter(|&y| {
            let r = y as isize - shift;
            cells[y * tx + s] & CHANGED != 0 && r >= 0 && (r as usize) < h && cur_h[y * tx + s] == old_h[r as usize * tx + s]
        })
        .count()
}

/// For every strip at once: changed rows, and (with `shift`) how many of them `count_explained` would count.
fn count_rows(cells: &[u8], cur_h: &[u64], old_h: &[u64], tx: usize, h: usize, shift: Option<isize>) -> (Vec<usize>, Vec<usize>) {
    let mut dirty = vec![0usize; tx];
    let mut explained = vec![0usize; tx];
    for y in 0..h {
        let row = &cells[y * tx..(y + 1) * tx];
        let src = shift.map(|k| y as isize - k).filter(|&r| r >= 0 && (r as usize) < h).map(|r| r as usize);
        for (s, &c) in row.iter().enumerate() {
            if c & CHANGED == 0 {
                continue;
            }
            dirty[s] += 1;
            if let Some(r) = src {
                explained[s] += (cur_h[y * tx + s] == old_h[r * tx + s]) as usize;
            }
        }
    }
    (dirty, explained)
}

/// Joins runs of adjacent strips with the same rows and shift into one wider copy, then orders
/// copies so none reads rows an earlier copy already overwrote: every strip has one shift, so
/// copies that overlap in x share it; for a downward shift the lowest copy goes first, for an
/// upward shift the highest.
fn merge_and_order(geo: &Geometry, mut runs: Vec<(usize, usize, usize, isize)>) -> Vec<CopyOp> {
    runs.sort_by_key(|&(s, y, len, shift)| (shift, y, len, s));
    let mut ops: Vec<(isize, CopyOp)> = Vec::new();
    let mut i = 0;
    while i < runs.len() {
        let (s0, y, len, shift) = runs[i];
        let mut s1 = s0;
        while i + 1 < runs.len() && runs[i + 1] == (s1 + 1, y, len, shift) {
            s1 += 1;
            i += 1;
        }
        i += 1;
        let x = s0 * TILE;
        let w = ((s1 + 1) * TILE).min(geo.width) - x;
        ops.push((shift, CopyOp { sx: x, sy: (y as isize - shift) as usize, w, h: len, dx: x, dy: y }));
    }
    ops.sort_by_key(|(shift, c)| if *shift > 0 { -(c.dy as isize) } else { c.dy as isize });
    ops.into_iter().map(|(_, c)| c).collect()
}
