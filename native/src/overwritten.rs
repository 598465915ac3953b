//! What the diff pass overwrote in the reference, so that every later step can still read the previous frame.
//!
//! A scrolled cell (equal to the previous frame's cell the predicted shift away) is written into the reference
//! by the diff pass while both are in cache, instead of by a separate pass that moves the scrolled area
//! afterwards (that memmove re-read the whole reference from memory: measured ~0.6-1 ms of a full-screen
//! terminal scroll at 1080p). The scroll search decides later which cells its copies really cover; until then
//! the old content of an overwritten cell stays readable (`old_cell`), and the cells no copy covers are put
//! back (`restore_uncopied`), so the reference ends up exactly as the copies would have left it.
//!
//! Most old contents need no saving: a cell's old content is the new content of the cell the shift moved it
//! to, when that cell is itself a scrolled one (it sits in the new frame, which nothing writes). Only the
//! others (the rows that scrolled out, cells around other changes) are kept here.
use crate::geometry::{Geometry, TILE};

/// Per cell: not overwritten.
const KEPT: u32 = 0;
/// Overwritten; the old content is the new frame's cell `shift` rows away.
const IN_FRAME: u32 = 1;
/// Values from here on: overwritten, saved at `saved[(slot - SAVED_BASE) * CELL_BYTES..]`.
const SAVED_BASE: u32 = 2;
const CELL_BYTES: usize = TILE * 4;

pub struct Overwritten {
    slots: Vec<u32>,
    written: Vec<usize>,
    saved: Vec<u8>,
    /// The shift the overwritten cells were found under (new row y = old row y - shift).
    shift: isize,
}

impl Overwritten {
    pub fn new(geo: &Geometry) -> Self {
        Overwritten { slots: vec![KEPT; geo.height * geo.tiles_x], written: Vec::new(), saved: Vec::new(), shift: 0 }
    }

    /// Starts a frame whose scrolled cells are found under `shift` (forgetting what an interrupted frame left).
    pub fn begin(&mut self, shift: isize) {
        self.forget();
        self.shift = shift;
    }

    fn forget(&mut self) {
        for &i in &self.written {
            self.slots[i] = KEPT;
        }
        self.written.clear();
        self.saved.clear();
    }

    /// Writes `cur`'s cell (y, s) into `reference`, keeping its old content readable. `in_frame`: the new
    /// frame's cell `shift` rows away equals it (the caller compared them).
    pub fn overwrite(&mut self, geo: &Geometry, cur: &[u8], reference: &mut [u8], y: usize, s: usize, in_frame: bool) {
        let (c0, c1) = cell_bytes(geo, y, s);
        let i = y * geo.tiles_x + s;
        if in_frame {
            self.slots[i] = IN_FRAME;
        } else {
            let n = self.saved.len() / CELL_BYTES;
            self.saved.extend_from_slice(&reference[c0..c1]);
            self.saved.resize((n + 1) * CELL_BYTES, 0);
            self.slots[i] = SAVED_BASE + n as u32;
        }
        self.written.push(i);
        reference[c0..c1].copy_from_slice(&cur[c0..c1]);
    }

    /// Whether cell `i` (row * tiles_x + strip) was overwritten this frame.
    pub fn is_written(&self, i: usize) -> bool {
        self.slots[i] != KEPT
    }

    /// The previous frame's content of cell (y, s), `len` bytes of it from its start.
    pub fn old_cell<'a>(&'a self, geo: &Geometry, cur: &'a [u8], reference: &'a [u8], y: usize, s: usize) -> &'a [u8] {
        let (c0, c1) = cell_bytes(geo, y, s);
        match self.slots[y * geo.tiles_x + s] {
            KEPT => &reference[c0..c1],
            IN_FRAME => {
                let d = (self.shift * (geo.width * 4) as isize) as usize;
                &cur[c0.wrapping_add(d)..c1.wrapping_add(d)]
            }
            slot => {
                let o = (slot - SAVED_BASE) as usize * CELL_BYTES;
                &self.saved[o..o + (c1 - c0)]
            }
        }
    }

    /// Puts back the old content of every overwritten cell `copied` does not mark (no copy writes it: it is
    /// coded against the old content, as a decoder has it), and forgets this frame's cells.
    pub fn restore_uncopied(&mut self, geo: &Geometry, cur: &[u8], reference: &mut [u8], copied: &[u8]) {
        let tx = geo.tiles_x;
        for k in 0..self.written.len() {
            let i = self.written[k];
            if copied[i] == 0 {
                let (y, s) = (i / tx, i % tx);
                let (c0, c1) = cell_bytes(geo, y, s);
                let mut tmp = [0u8; CELL_BYTES];
                tmp[..c1 - c0].copy_from_slice(self.old_cell(geo, cur, reference, y, s));
                reference[c0..c1].copy_from_slice(&tmp[..c1 - c0]);
            }
        }
        self.forget();
    }
}

/// Byte range of cell (y, s) in a frame.
fn cell_bytes(geo: &Geometry, y: usize, s: usize) -> (usize, usize) {
    let stride = geo.width * 4;
    let c0 = y * stride + s * CELL_BYTES;
    (c0, (c0 + CELL_BYTES).min((y + 1) * stride))
}

#[cfg(test)]
mod tests {
    use crate::decode::Decoder;
    use crate::encode::{Encoder, EncoderOptions};
    use crate::geometry::Rect;

    /// A page of distinct "text" rows (every row differs, some strips blank) shifted by `offset` rows.
    fn page(w: usize, h: usize, offset: usize) -> Vec<u8> {
        let mut f = vec![0u8; w * h * 4];
        for y in 0..h {
            let line = y + offset;
            for x in 0..w {
                let blank = (x / 64) % 3 == 2 || line % 7 == 0;
                let v = if blank { 0xF0 } else { ((line * 131 + x * 7) % 251) as u8 };
                let i = (y * w + x) * 4;
                f[i..i + 4].copy_from_slice(&[v, v.wrapping_mul(3), 0x40, 0]);
            }
        }
        f
    }

    /// Scrolls both ways (the diff pass then writes rows top down and bottom up), with the shift changing
    /// between frames (cells written under a shift the search then rejects are put back), with an edit beside a
    /// scroll, and with the `changed` hint: the decoder must end up with every frame exactly.
    #[test]
    fn scrolled_cells_written_in_the_diff_pass_decode_exactly() {
        let (w, h) = (320, 200);
        let mut enc = Encoder::new(w, h, EncoderOptions { threads: 1, ..Default::default() }).unwrap();
        let mut dec = Decoder::new(w, h).unwrap();
        let offsets = [40usize, 43, 46, 49, 49, 45, 42, 37, 60, 20, 21, 22, 22, 23];
        for (n, &off) in offsets.iter().enumerate() {
            let mut f = page(w, h, off);
            if n % 4 == 3 {
                // An edit that no scroll explains, in the middle of the page.
                for y in 90..110 {
                    for x in 100..180 {
                        f[(y * w + x) * 4] = (n * 17 + x) as u8;
                    }
                }
            }
            if n == 6 {
                // The last strip stays as it was but for one row, which takes the content three rows down:
                // equal to its source under the page's shift, so the diff pass writes it, but too few rows of
                // that strip changed for a copy, and it is coded against its old content, put back.
                let before = page(w, h, offsets[n - 1]);
                for y in 0..h {
                    let src = if y == 120 { y + 3 } else { y };
                    let (d, s0) = ((y * w + 256) * 4, (src * w + 256) * 4);
                    f[d..d + 64 * 4].copy_from_slice(&before[s0..s0 + 64 * 4]);
                }
            }
            let hint = [Rect { x: 0, y: 0, w, h }];
            let packet = enc.encode(&f, n == 0, if n % 2 == 0 { Some(&hint[..]) } else { None }).unwrap();
            dec.decode(&packet).unwrap();
            assert!(dec.frame() == &f[..], "frame {n} (offset {off}) differs after decoding");
        }
    }
}
