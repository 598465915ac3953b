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
