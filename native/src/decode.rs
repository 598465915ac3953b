//! Decoder: owns the framebuffer, applies packets, and serves viewers that join late or fall
//! behind (keyframe from the current framebuffer, or an intra packet of every tile changed since
//! a generation they hold).
use crate::encode::encode_intra;
use crate::error::{err, ErrorCode, Result};
use crate::format::{parse_packet, TileFill, FLAG_INTRA, FLAG_KEYFRAME};
use crate::geometry::{Geometry, Rect, TILE};
use crate::model::Model;
use crate::rangecoder::RcDecoder;
use crate::tilecode::decode_rect;

pub struct Decoder {
    pub geo: Geometry,
    fb: Vec<u8>,
    /// Number of packets applied successfully.
    pub generation: u64,
    /// Generation at which each tile last changed (0: never).
    tile_gen: Vec<u64>,
}

impl Decoder {
    pub fn new(width: usize, height: usize) -> Result<Self> {
        let geo = Geometry::new(width, height)?;
        Ok(Decoder { geo, fb: vec![0; geo.frame_bytes()], generation: 0, tile_gen: vec![0; geo.tile_count()] })
    }

    pub fn frame(&self) -> &[u8] {
        &self.fb
    }

    /// Applies a packet. The packet is fully validated before the framebuffer is touched; the only
    /// later failure is an entropy stream that runs far past its end, after which the framebuffer
    /// content is unspecified and the caller should ask for a keyframe.
    pub fn decode(&mut self, data: &[u8]) -> Result<Vec<Rect>> {
        let geo = self.geo;
        let pkt = parse_packet(&geo, data)?;
        let gen = self.generation + 1;
        let mut rects = Vec::with_capacity(pkt.copies.len() + pkt.tiles.len());
        if pkt.flags & FLAG_KEYFRAME != 0 {
            self.fb.fill(0);
            self.tile_gen.fill(gen);
            rects.push(Rect { x: 0, y: 0, w: geo.width, h: geo.height });
        }
        let keyframe = pkt.flags & FLAG_KEYFRAME != 0;
        let intra = pkt.flags & FLAG_INTRA != 0;
        for c in &pkt.copies {
            geo.apply_copy(&mut self.fb, c);
            mark(&geo, &mut self.tile_gen, Rect { x: c.dx, y: c.dy, w: c.w, h: c.h }, gen);
            if !keyframe {
                rects.push(Rect { x: c.dx, y: c.dy, w: c.w, h: c.h });
            }
        }
        let mut streams = pkt.streams.iter();
        let mut left = 0usize;
        let mut rd: Option<(RcDecoder, Model)> = None;
        let mut overrun = 0usize;
        for t in &pkt.tiles {
            match t.fill {
                TileFill::Solid(c) => {
                    let pat = c.to_le_bytes();
                    for y in t.rect.y..t.rect.y + t.rect.h {
                        let s = (y * geo.width + t.rect.x) * 4;
                        for p in self.fb[s..s + t.rect.w * 4].chunks_exact_mut(4) {
                            p.copy_from_slice(&pat);
                        }
                    }
                }
                TileFill::Coded => {
                    if left == 0 {
                        if let Some((d, _)) = &rd {
                            overrun = overrun.max(d.overrun);
                        }
                        // parse_packet guarantees the stream tile counts add up to the coded tiles.
                        let &(n, bytes) = streams.next().expect("validated stream directory");
                        left = n;
                        rd = Some((RcDecoder::new(bytes), Model::new()));
                    }
                    let (d, m) = rd.as_mut().expect("stream opened above");
                    decode_rect(d, m, &mut self.fb, intra, geo.width, t.rect);
                    left -= 1;
                }
            }
            mark(&geo, &mut self.tile_gen, t.rect, gen);
            if !keyframe {
                rects.push(t.rect);
            }
        }
        if let Some((d, _)) = &rd {
            overrun = overrun.max(d.overrun);
        }
        self.generation = gen;
        // A valid stream is read at most 4 bytes past its trimmed end plus its trimmed zeros; the
        // slack only has to stop a hostile stream, which cannot do harm beyond wrong pixels anyway.
        if overrun > 4 + 64 * 1024 {
            return err(ErrorCode::Corrupt, "entropy stream runs past its end");
        }
        Ok(rects)
    }

    /// An intra keyframe of the current framebuffer (for a viewer joining now).
    pub fn keyframe(&self, threads: usize) -> Vec<u8> {
        encode_intra(&self.geo, &self.fb, None, FLAG_KEYFRAME | FLAG_INTRA, threads, 0)
    }

    /// An intra packet holding every tile changed after generation `since`: applied by a viewer
    /// whose framebuffer equals this decoder's at generation `since`, it brings that viewer to the
    /// current framebuffer. Generation 0 is the initial all-zero framebuffer.
    pub fn delta_since(&self, since: u64, threads: usize) -> Result<Vec<u8>> {
        if since > self.generation {
            return err(ErrorCode::Argument, format!("generation {since} is ahead of the decoder ({})", self.generation));
        }
        let tiles: Vec<usize> = (0..self.geo.tile_count()).filter(|&t| self.tile_gen[t] > since).collect();
        Ok(encode_intra(&self.geo, &self.fb, Some(&tiles), FLAG_INTRA, threads, 0))
    }
}

fn mark(geo: &Geometry, tile_gen: &mut [u64], r: Rect, gen: u64) {
    for ty in r.y / TILE..=(r.y + r.h - 1) / TILE {
        for tx in r.x / TILE..=(r.x + r.w - 1) / TILE {
            tile_gen[ty * geo.tiles_x + tx] = gen;
        }
    }
}
