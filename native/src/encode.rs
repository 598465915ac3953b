//! Encoder: keeps a copy of what the decoder holds (the reference) and turns each new frame into a
//! packet of copies (scrolls) plus changed tile rectangles.
use crate::dirty::{changed_bbox, changed_bbox_where, diff_and_hash, hash_all, CHANGED};
use crate::error::{err, ErrorCode, Result};
use crate::format::{write_packet, FLAG_INTRA, FLAG_KEYFRAME};
use crate::geometry::{CopyOp, Geometry, Rect, TILE};
use crate::moves::Moves;
use crate::overwritten::Overwritten;
use crate::scroll::Scroll;
use crate::streams::code_tiles;

#[derive(Clone, Copy, Debug)]
pub struct EncoderOptions {
    /// Emit a keyframe every this many frames (0: only the first frame and on request).
    pub keyframe_interval: u32,
    /// Worker threads for entropy coding large updates (1 disables threading).
    pub threads: usize,
    /// Scroll/move detection on or off (off is for measuring what it buys).
    pub motion: bool,
    /// The fourth byte of each pixel is padding (X's depth-24 pixels), not alpha: packets carry it as 0xFF.
    /// Saves the capture a pass that sets it (the frame is used as the X server wrote it).
    pub opaque: bool,
}

impl Default for EncoderOptions {
    fn default() -> Self {
        EncoderOptions { keyframe_interval: 0, threads: 2, motion: true, opaque: false }
    }
}

pub struct Encoder {
    pub geo: Geometry,
    pub opts: EncoderOptions,
    /// The decoder's framebuffer after the last packet.
    reference: Vec<u8>,
    /// Cell hashes of `reference` (valid whenever `need_key` is false).
    hashes: Vec<u64>,
    cur_hashes: Vec<u64>,
    cells: Vec<u8>,
    scroll: Scroll,
    moves: Moves,
    /// Scrolled cells the diff pass wrote into `reference` (see overwritten.rs).
    overwritten: Overwritten,
    frames_since_key: u32,
    /// Set until a packet has been produced successfully; a failed or interrupted encode forces a keyframe.
    need_key: bool,
    /// RELAYDESK_CODEC_TRACE=1 prints per-frame phase timings to stderr (read once, at construction).
    trace: bool,
}

impl Encoder {
    pub fn new(width: usize, height: usize, opts: EncoderOptions) -> Result<Self> {
        let geo = Geometry::new(width, height)?;
        if opts.threads == 0 || opts.threads > crate::format::MAX_STREAMS {
            return err(ErrorCode::Argument, "threads must be in 1..=64");
        }
        let ncells = geo.height * geo.tiles_x;
        Ok(Encoder {
            geo,
            opts,
            reference: vec![0; geo.frame_bytes()],
            hashes: vec![0; ncells],
            cur_hashes: vec![0; ncells],
            cells: vec![0; ncells],
            scroll: Scroll::new(&geo),
            moves: Moves::default(),
            overwritten: Overwritten::new(&geo),
            frames_since_key: 0,
            need_key: true,
            trace: std::env::var_os("RELAYDESK_CODEC_TRACE").is_some_and(|v| v == "1"),
        })
    }

    fn alpha(&self) -> u32 {
        if self.opts.opaque {
            0xFF00_0000
        } else {
            0
        }
    }

    /// Encodes `frame` (BGRA, width*height*4 bytes, borrowed for the duration of the call). `changed`, when
    /// given, holds every rectangle where `frame` may differ from the previous frame (the caller guarantees
    /// it: a pixel outside them that did change would be lost, and the decoder would drift); None compares all.
    pub fn encode(&mut self, frame: &[u8], keyframe: bool, changed: Option<&[Rect]>) -> Result<Vec<u8>> {
        let geo = self.geo;
        if frame.len() != geo.frame_bytes() {
            return err(ErrorCode::FrameSize, format!("frame is {} bytes, expected {}x{}x4 = {}", frame.len(), geo.width, geo.height, geo.frame_bytes()));
        }
        let interval_due = self.opts.keyframe_interval > 0 && self.frames_since_key + 1 >= self.opts.keyframe_interval;
        if keyframe || self.need_key || interval_due {
            self.need_key = true;
            let out = encode_intra(&geo, frame, None, FLAG_KEYFRAME | FLAG_INTRA, self.opts.threads, self.alpha());
            self.reference.copy_from_slice(frame);
            hash_all(&geo, frame, &mut self.hashes);
            self.frames_since_key = 0;
            self.need_key = false;
            return Ok(out);
        }
        self.frames_since_key += 1;
        let t0 = crate::cpu_clock::thread_cpu();
        let hint: Option<Vec<Rect>> = changed.map(|rs| rs.iter().filter_map(|r| geo.clip(r)).collect());
        self.cur_hashes.copy_from_slice(&self.hashes);
        let shift = if self.opts.motion {
            let guess = self.scroll.estimate(&geo, frame, &self.reference, &self.hashes, hint.as_deref()).or(self.scroll.recent());
            self.scroll.predict(guess);
            guess
        } else {
            None
        };
        if !diff_and_hash(&geo, frame, &mut self.reference, &mut self.cells, &mut self.cur_hashes, &self.hashes, hint.as_deref(), shift, Some(&mut self.overwritten)) {
            return Ok(write_packet(&geo, 0, &[], &[], &[]));
        }
        self.need_key = true;
        let t_diff = crate::cpu_clock::since(t0);
        let tx = geo.tiles_x;
        let mut tile_dirty = vec![false; geo.tile_count()];
        for y in 0..geo.height {
            for s in 0..tx {
                if self.cells[y * tx + s] & CHANGED != 0 {
                    tile_dirty[(y / TILE) * tx + s] = true;
                }
            }
        }
        let mut copies = if self.opts.motion {
            self.scroll.detect(&geo, frame, &self.reference, &self.overwritten, &self.cells, &self.cur_hashes, &self.hashes)
        } else {
            Vec::new()
        };
        let t_scroll = crate::cpu_clock::since(t0);
        // Rows a scroll copy covers were verified equal, strip by strip, when the copy was found; with the
        // rows that were unchanged anyway, only changed rows outside every copy need comparing again
        // (measured on a terminal scrolled a line at 1080p: this bbox pass went from ~0.9 ms to ~0.2 ms).
        let verified = copied_cells(&geo, &copies);
        apply_scroll_copies(&geo, frame, &mut self.reference, &copies, &self.cells, &self.overwritten, &mut tile_dirty);
        self.overwritten.restore_uncopied(&geo, frame, &mut self.reference, &verified);
        let cells = &self.cells;
        let mut rects: Vec<(usize, Rect)> = (0..geo.tile_count())
            .filter(|&t| tile_dirty[t])
            .filter_map(|t| {
                let s = t % tx;
                let may_differ = |y: usize| cells[y * tx + s] & CHANGED != 0 && verified[y * tx + s] == 0;
                changed_bbox_where(&geo, frame, &self.reference, geo.tile_rect(t), may_differ).map(|r| (t, r))
            })
            .collect();
        let t_bbox = crate::cpu_clock::since(t0);
        if self.opts.motion {
            let scrolled_px = copies.iter().map(|c| c.w * c.h).sum();
            let moves = self.moves.detect(&geo, frame, &self.reference, &rects, scrolled_px);
            if !moves.is_empty() {
                apply_copies(&geo, &mut self.reference, &moves, &mut tile_dirty);
                rects = changed_tiles(&geo, frame, &self.reference, &tile_dirty);
                copies.extend(moves);
            }
        }
        let t_moves = crate::cpu_clock::since(t0);
        let (entries, streams) = code_tiles(&geo, frame, Some(&self.reference), &rects, self.opts.threads, self.alpha());
        let out = write_packet(&geo, 0, &copies, &entries, &streams);
        if self.trace {
            let px: usize = rects.iter().map(|(_, r)| r.w * r.h).sum();
            eprintln!(
                "codec-trace diff+hash {:?} scroll {:?} bbox {:?} moves {:?} code {:?} | shifted {} changed {} | copies {} tiles {} px {} bytes {}",
                t_diff,
                t_scroll - t_diff,
                t_bbox - t_scroll,
                t_moves - t_bbox,
                crate::cpu_clock::since(t0) - t_moves,
                self.cells.iter().filter(|&&c| c & crate::dirty::SHIFTED != 0).count(),
                self.cells.iter().filter(|&&c| c & CHANGED != 0).count(),
                copies.len(),
                rects.len(),
                px,
                out.len()
            );
        }
        for (_, r) in &rects {
            for y in r.y..r.y + r.h {
                let s = (y * geo.width + r.x) * 4;
                self.reference[s..s + r.w * 4].copy_from_slice(&frame[s..s + r.w * 4]);
            }
        }
        std::mem::swap(&mut self.hashes, &mut self.cur_hashes);
        debug_assert!(self.reference == frame || changed.is_some());
        self.need_key = false;
        Ok(out)
    }
}

fn apply_copies(geo: &Geometry, reference: &mut [u8], copies: &[CopyOp], tile_dirty: &mut [bool]) {
    for c in copies {
        geo.apply_copy(reference, c);
    }
    mark_tiles(geo, copies, tile_dirty);
}

/// Marks the tiles the copies write in `tile_dirty`.
fn mark_tiles(geo: &Geometry, copies: &[CopyOp], tile_dirty: &mut [bool]) {
    for c in copies {
        for ty in c.dy / TILE..=(c.dy + c.h - 1) / TILE {
            for t in c.dx / TILE..=(c.dx + c.w - 1) / TILE {
                tile_dirty[ty * geo.tiles_x + t] = true;
            }
        }
    }
}

/// Applies the copies `Scroll::detect` found to `reference`, where the diff pass did not already: every cell
/// a copy covers was verified equal to `frame`'s, so the copy's result there is `frame`'s cell, and nothing
/// needs doing where the cell did not change. Marks the tiles they touch in `tile_dirty`.
fn apply_scroll_copies(geo: &Geometry, frame: &[u8], reference: &mut [u8], copies: &[CopyOp], cells: &[u8], overwritten: &Overwritten, tile_dirty: &mut [bool]) {
    let (tx, stride) = (geo.tiles_x, geo.width * 4);
    for c in copies {
        for y in c.dy..c.dy + c.h {
            for s in c.dx / TILE..=(c.dx + c.w - 1) / TILE {
                let i = y * tx + s;
                if cells[i] & CHANGED != 0 && !overwritten.is_written(i) {
                    let c0 = y * stride + s * TILE * 4;
                    let c1 = (c0 + TILE * 4).min((y + 1) * stride);
                    reference[c0..c1].copy_from_slice(&frame[c0..c1]);
                }
            }
        }
    }
    mark_tiles(geo, copies, tile_dirty);
}

/// Cells (row, 64-pixel strip) that the scroll copies write: `copies` come from `Scroll::detect`, whose
/// copies are strip-aligned and cover only rows it compared equal to their source.
fn copied_cells(geo: &Geometry, copies: &[CopyOp]) -> Vec<u8> {
    let mut out = vec![0u8; geo.height * geo.tiles_x];
    for c in copies {
        for y in c.dy..c.dy + c.h {
            for s in c.dx / TILE..=(c.dx + c.w - 1) / TILE {
                out[y * geo.tiles_x + s] = 1;
            }
        }
    }
    out
}

fn changed_tiles(geo: &Geometry, frame: &[u8], reference: &[u8], tile_dirty: &[bool]) -> Vec<(usize, Rect)> {
    (0..geo.tile_count())
        .filter(|&t| tile_dirty[t])
        .filter_map(|t| changed_bbox(geo, frame, reference, geo.tile_rect(t)).map(|r| (t, r)))
        .collect()
}

/// Intra-codes the given tiles (all tiles when `tiles` is None) of `frame` in full.
pub fn encode_intra(geo: &Geometry, frame: &[u8], tiles: Option<&[usize]>, flags: u8, threads: usize, alpha: u32) -> Vec<u8> {
    let rects: Vec<(usize, Rect)> = match tiles {
        None => (0..geo.tile_count()).map(|t| (t, geo.tile_rect(t))).collect(),
        Some(ts) => ts.iter().map(|&t| (t, geo.tile_rect(t))).collect(),
    };
    let (entries, streams) = code_tiles(geo, frame, None, &rects, threads, alpha);
    write_packet(geo, flags, &[], &entries, &streams)
}
