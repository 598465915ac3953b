//! Packet layout (docs/codec.md is the normative description): header, copy list, tile list,
//! stream directory, entropy-coded streams. Parsing validates every count and rectangle against
//! the decoder's geometry before anything is allocated or written.
use crate::checksum::checksum;
use crate::error::{err, ErrorCode, Result};
use crate::geometry::{CopyOp, Geometry, Rect, TILE};

pub const MAGIC: [u8; 3] = *b"RDC";
pub const VERSION: u8 = 1;
pub const HEADER_LEN: usize = 17;
/// Decoder clears the framebuffer to zero before applying the packet.
pub const FLAG_KEYFRAME: u8 = 1;
/// Pixels are coded without reference to the previous framebuffer content ("old" candidate off).
pub const FLAG_INTRA: u8 = 2;
pub const KNOWN_FLAGS: u8 = FLAG_KEYFRAME | FLAG_INTRA;
pub const MODE_CODED: u8 = 0;
pub const MODE_SOLID: u8 = 1;
/// Streams per packet. Encoders use one per thread; the cap bounds the per-stream model resets a
/// hostile packet can demand (each stream starts a fresh model with a 256 KiB match table).
pub const MAX_STREAMS: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TileFill {
    Coded,
    Solid(u32),
}

#[derive(Clone, Copy, Debug)]
pub struct TileEntry {
    pub index: usize,
    pub rect: Rect,
    pub fill: TileFill,
}

pub struct Packet<'a> {
    pub flags: u8,
    pub copies: Vec<CopyOp>,
    pub tiles: Vec<TileEntry>,
    /// (number of coded tiles, bytes) per stream, in tile order.
    pub streams: Vec<(usize, &'a [u8])>,
}

pub fn write_varint(out: &mut Vec<u8>, mut v: u32) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Writes a complete packet. `streams` pairs each coded-tile count with its bytes.
pub fn write_packet(geo: &Geometry, flags: u8, copies: &[CopyOp], tiles: &[TileEntry], streams: &[(usize, Vec<u8>)]) -> Vec<u8> {
    let payload: usize = streams.iter().map(|s| s.1.len()).sum();
    let mut out = Vec::with_capacity(HEADER_LEN + 16 + copies.len() * 12 + tiles.len() * 10 + streams.len() * 8 + payload);
    out.extend_from_slice(&MAGIC);
    out.push(VERSION);
    out.push(flags);
    out.extend_from_slice(&(geo.width as u16).to_le_bytes());
    out.extend_from_slice(&(geo.height as u16).to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    write_varint(&mut out, copies.len() as u32);
    for c in copies {
        for v in [c.sx, c.sy, c.w, c.h, c.dx, c.dy] {
            write_varint(&mut out, v as u32);
        }
    }
    write_varint(&mut out, tiles.len() as u32);
    let mut prev: Option<usize> = None;
    for t in tiles {
        let delta = match prev {
            None => t.index,
            Some(p) => t.index - p - 1,
        };
        prev = Some(t.index);
        write_varint(&mut out, delta as u32);
        let base = geo.tile_rect(t.index);
        match t.fill {
            TileFill::Coded => out.push(MODE_CODED),
            TileFill::Solid(_) => out.push(MODE_SOLID),
        }
        out.extend_from_slice(&[(t.rect.x - base.x) as u8, (t.rect.y - base.y) as u8, (t.rect.w - 1) as u8, (t.rect.h - 1) as u8]);
        if let TileFill::Solid(c) = t.fill {
            out.extend_from_slice(&c.to_le_bytes());
        }
    }
    write_varint(&mut out, streams.len() as u32);
    for (n, bytes) in streams {
        write_varint(&mut out, *n as u32);
        write_varint(&mut out, bytes.len() as u32);
    }
    for (_, bytes) in streams {
        out.extend_from_slice(bytes);
    }
    let body = (out.len() - HEADER_LEN) as u32;
    out[9..13].copy_from_slice(&body.to_le_bytes());
    let sum = checksum(&out[HEADER_LEN..]);
    out[13..17].copy_from_slice(&sum.to_le_bytes());
    out
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    fn u8(&mut self) -> Result<u8> {
        if self.pos >= self.data.len() {
            return err(ErrorCode::Truncated, "packet ends inside a field");
        }
        let b = self.data[self.pos];
        self.pos += 1;
        Ok(b)
    }

    fn u32le(&mut self) -> Result<u32> {
        let mut v = 0u32;
        for i in 0..4 {
            v |= (self.u8()? as u32) << (8 * i);
        }
        Ok(v)
    }

    fn varint(&mut self) -> Result<u32> {
        let mut v: u32 = 0;
        for i in 0..5 {
            let b = self.u8()?;
            if i == 4 && b > 0x0F {
                return err(ErrorCode::Corrupt, "varint overflows 32 bits");
            }
            v |= ((b & 0x7F) as u32) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        err(ErrorCode::Corrupt, "varint longer than 5 bytes")
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            return err(ErrorCode::Truncated, "packet ends inside a stream");
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
}

/// Parses and fully validates a packet against `geo`. Nothing is allocated before the count it
/// sizes has been bounded by the bytes actually present.
pub fn parse_packet<'a>(geo: &Geometry, data: &'a [u8]) -> Result<Packet<'a>> {
    if data.len() < HEADER_LEN {
        if data.len() >= 3 && data[..3] != MAGIC {
            return err(ErrorCode::BadMagic, "not a relaydesk codec packet");
        }
        return err(ErrorCode::Truncated, format!("packet of {} bytes is shorter than the header", data.len()));
    }
    if data[..3] != MAGIC {
        return err(ErrorCode::BadMagic, "not a relaydesk codec packet");
    }
    if data[3] != VERSION {
        return err(ErrorCode::Version, format!("packet version {} (this decoder reads {VERSION})", data[3]));
    }
    let flags = data[4];
    if flags & !KNOWN_FLAGS != 0 {
        return err(ErrorCode::Corrupt, format!("unknown flags 0x{flags:02x}"));
    }
    let w = u16::from_le_bytes([data[5], data[6]]) as usize;
    let h = u16::from_le_bytes([data[7], data[8]]) as usize;
    if w != geo.width || h != geo.height {
        return err(ErrorCode::Dimensions, format!("packet is {w}x{h}, decoder is {}x{}", geo.width, geo.height));
    }
    let mut r = Reader { data, pos: 9 };
    let body = r.u32le()? as usize;
    let sum = r.u32le()?;
    if body > data.len() - HEADER_LEN {
        return err(ErrorCode::Truncated, format!("body of {body} bytes declared, {} present", data.len() - HEADER_LEN));
    }
    if body < data.len() - HEADER_LEN {
        return err(ErrorCode::Corrupt, "trailing bytes after the packet body");
    }
    if checksum(&data[HEADER_LEN..]) != sum {
        return err(ErrorCode::Corrupt, "checksum mismatch");
    }

    let ncopies = r.varint()? as usize;
    // Each copy takes at least 6 bytes, so this bounds the allocation by the packet size.
    if ncopies > r.remaining() / 6 {
        return err(ErrorCode::Truncated, format!("{ncopies} copies cannot fit in the packet"));
    }
    let mut copies = Vec::with_capacity(ncopies);
    // Encoders copy each destination pixel at most twice (scroll, then window move); without this
    // bound a 1 MB packet could ask for 100k full-frame copies, seconds of memmove.
    let max_area = 2 * geo.width * geo.height;
    let mut area = 0usize;
    for _ in 0..ncopies {
        let mut v = [0usize; 6];
        for x in v.iter_mut() {
            *x = r.varint()? as usize;
        }
        let c = CopyOp { sx: v[0], sy: v[1], w: v[2], h: v[3], dx: v[4], dy: v[5] };
        if !geo.copy_in_bounds(&c) {
            return err(ErrorCode::Corrupt, format!("copy {c:?} outside the frame"));
        }
        area += c.w * c.h;
        if area > max_area {
            return err(ErrorCode::Corrupt, "copies move more than twice the frame area");
        }
        copies.push(c);
    }

    let ntiles = r.varint()? as usize;
    if ntiles > geo.tile_count() {
        return err(ErrorCode::Corrupt, format!("{ntiles} tiles but the frame has {}", geo.tile_count()));
    }
    if ntiles > r.remaining() / 6 {
        return err(ErrorCode::Truncated, format!("{ntiles} tiles cannot fit in the packet"));
    }
    let mut tiles = Vec::with_capacity(ntiles);
    let mut next = 0usize;
    let mut coded = 0usize;
    for _ in 0..ntiles {
        let index = next
            .checked_add(r.varint()? as usize)
            .filter(|&i| i < geo.tile_count())
            .ok_or_else(|| crate::error::CodecError::new(ErrorCode::Corrupt, "tile index outside the frame"))?;
        next = index + 1;
        let mode = r.u8()?;
        let (x0, y0, w1, h1) = (r.u8()? as usize, r.u8()? as usize, r.u8()? as usize + 1, r.u8()? as usize + 1);
        let base = geo.tile_rect(index);
        if x0 + w1 > base.w || y0 + h1 > base.h || w1 > TILE || h1 > TILE {
            return err(ErrorCode::Corrupt, format!("tile {index} rectangle exceeds the tile"));
        }
        let fill = match mode {
            MODE_CODED => {
                coded += 1;
                TileFill::Coded
            }
            MODE_SOLID => TileFill::Solid(r.u32le()?),
            m => return err(ErrorCode::Corrupt, format!("unknown tile mode {m}")),
        };
        tiles.push(TileEntry { index, rect: Rect { x: base.x + x0, y: base.y + y0, w: w1, h: h1 }, fill });
    }

    let nstreams = r.varint()? as usize;
    if nstreams > coded || nstreams > MAX_STREAMS || (coded > 0 && nstreams == 0) {
        return err(ErrorCode::Corrupt, format!("{nstreams} streams for {coded} coded tiles"));
    }
    let mut dir = Vec::with_capacity(nstreams);
    let mut tiles_in_streams = 0usize;
    let mut total = 0usize;
    for _ in 0..nstreams {
        let n = r.varint()? as usize;
        let len = r.varint()? as usize;
        if n == 0 {
            return err(ErrorCode::Corrupt, "empty stream");
        }
        tiles_in_streams += n;
        total += len;
        dir.push((n, len));
    }
    if tiles_in_streams != coded {
        return err(ErrorCode::Corrupt, format!("streams cover {tiles_in_streams} tiles, packet has {coded} coded tiles"));
    }
    if total > r.remaining() {
        return err(ErrorCode::Truncated, "packet ends inside the streams");
    }
    if total < r.remaining() {
        return err(ErrorCode::Corrupt, "trailing bytes after the streams");
    }
    let mut streams = Vec::with_capacity(nstreams);
    for (n, len) in dir {
        streams.push((n, r.bytes(len)?));
    }
    Ok(Packet { flags, copies, tiles, streams })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_packet_round_trips_and_every_truncation_is_rejected() {
        let geo = Geometry::new(100, 70).unwrap();
        let copies = [CopyOp { sx: 0, sy: 1, w: 100, h: 60, dx: 0, dy: 0 }];
        let tiles = [TileEntry { index: 3, rect: Rect { x: 64, y: 64, w: 36, h: 6 }, fill: TileFill::Solid(0xFF00_8040) }];
        let p = write_packet(&geo, 0, &copies, &tiles, &[]);
        let parsed = parse_packet(&geo, &p).unwrap();
        assert_eq!(parsed.copies, copies);
        assert_eq!(parsed.tiles.len(), 1);
        assert_eq!(parsed.tiles[0].fill, TileFill::Solid(0xFF00_8040));
        for n in 0..p.len() {
            let e = parse_packet(&geo, &p[..n]).err().expect("truncated packet accepted");
            assert_eq!(e.code, ErrorCode::Truncated, "cut at {n}");
        }
        let mut longer = p.clone();
        longer.push(0);
        assert_eq!(parse_packet(&geo, &longer).err().unwrap().code, ErrorCode::Corrupt);
        let other = Geometry::new(101, 70).unwrap();
        assert_eq!(parse_packet(&other, &p).err().unwrap().code, ErrorCode::Dimensions);
    }
}
