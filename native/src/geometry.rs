//! Frame geometry: dimensions, the fixed 64x64 tile grid, pixel access and in-frame copies.
use crate::error::{err, ErrorCode, Result};

/// Tile edge in pixels. 64 keeps the per-tile header small (about 6 bytes) while a dirty
/// tile still bounds re-coded work; rows of 64 BGRA pixels are 256 bytes, a cheap memcmp.
pub const TILE: usize = 64;
/// Largest accepted width or height (fits the u16 header fields; 16384^2*4 = 1 GiB is the cap).
pub const MAX_DIM: usize = 16384;

#[derive(Clone, Copy, Debug)]
pub struct Geometry {
    pub width: usize,
    pub height: usize,
    pub tiles_x: usize,
    pub tiles_y: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rect {
    pub x: usize,
    pub y: usize,
    pub w: usize,
    pub h: usize,
}

/// Copy the w*h block at (sx,sy) to (dx,dy) in the same framebuffer, as if through a temporary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CopyOp {
    pub sx: usize,
    pub sy: usize,
    pub w: usize,
    pub h: usize,
    pub dx: usize,
    pub dy: usize,
}

impl Geometry {
    pub fn new(width: usize, height: usize) -> Result<Self> {
        if width == 0 || height == 0 || width > MAX_DIM || height > MAX_DIM {
            return err(ErrorCode::Dimensions, format!("dimensions {width}x{height} outside 1..={MAX_DIM}"));
        }
        Ok(Geometry { width, height, tiles_x: width.div_ceil(TILE), tiles_y: height.div_ceil(TILE) })
    }

    pub fn frame_bytes(&self) -> usize {
        self.width * self.height * 4
    }

    pub fn tile_count(&self) -> usize {
        self.tiles_x * self.tiles_y
    }

    /// `r` cut to the frame (None when nothing of it is inside).
    pub fn clip(&self, r: &Rect) -> Option<Rect> {
        let (x1, y1) = ((r.x.saturating_add(r.w)).min(self.width), (r.y.saturating_add(r.h)).min(self.height));
        (r.x < x1 && r.y < y1).then(|| Rect { x: r.x, y: r.y, w: x1 - r.x, h: y1 - r.y })
    }

    pub fn tile_rect(&self, t: usize) -> Rect {
        let tx = t % self.tiles_x;
        let ty = t / self.tiles_x;
        let x = tx * TILE;
        let y = ty * TILE;
        Rect { x, y, w: TILE.min(self.width - x), h: TILE.min(self.height - y) }
    }

    pub fn copy_in_bounds(&self, c: &CopyOp) -> bool {
        c.w >= 1
            && c.h >= 1
            && c.sx.checked_add(c.w).is_some_and(|e| e <= self.width)
            && c.dx.checked_add(c.w).is_some_and(|e| e <= self.width)
            && c.sy.checked_add(c.h).is_some_and(|e| e <= self.height)
            && c.dy.checked_add(c.h).is_some_and(|e| e <= self.height)
    }

    /// Applies a copy in place. Row order is chosen so overlapping source and destination
    /// behave as if the source had been read whole first (memmove semantics per copy).
    pub fn apply_copy(&self, buf: &mut [u8], c: &CopyOp) {
        let stride = self.width * 4;
        let len = c.w * 4;
        let row = |r: usize| {
            let s = (c.sy + r) * stride + c.sx * 4;
            let d = (c.dy + r) * stride + c.dx * 4;
            (s, d)
        };
        if c.dy > c.sy {
            for r in (0..c.h).rev() {
                let (s, d) = row(r);
                buf.copy_within(s..s + len, d);
            }
        } else {
            for r in 0..c.h {
                let (s, d) = row(r);
                buf.copy_within(s..s + len, d);
            }
        }
    }
}

#[inline(always)]
pub fn px(buf: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([buf[i * 4], buf[i * 4 + 1], buf[i * 4 + 2], buf[i * 4 + 3]])
}

#[inline(always)]
pub fn set_px(buf: &mut [u8], i: usize, v: u32) {
    buf[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Overlapping copies in every direction must equal a copy through a temporary.
    #[test]
    fn copy_behaves_like_copy_through_a_temporary() {
        let geo = Geometry::new(37, 29).unwrap();
        let base: Vec<u8> = (0..geo.frame_bytes()).map(|i| (i * 131 % 251) as u8).collect();
        for (sx, sy, dx, dy) in [(0, 0, 3, 2), (3, 2, 0, 0), (5, 5, 5, 9), (5, 9, 5, 5), (1, 4, 9, 4), (9, 4, 1, 4)] {
            let c = CopyOp { sx, sy, w: 20, h: 15, dx, dy };
            assert!(geo.copy_in_bounds(&c));
            let mut got = base.clone();
            geo.apply_copy(&mut got, &c);
            let mut want = base.clone();
            for r in 0..c.h {
                for x in 0..c.w {
                    let s = ((sy + r) * geo.width + sx + x) * 4;
                    let d = ((dy + r) * geo.width + dx + x) * 4;
                    want[d..d + 4].copy_from_slice(&base[s..s + 4]);
                }
            }
            assert_eq!(got, want, "copy {c:?}");
        }
        assert!(!geo.copy_in_bounds(&CopyOp { sx: 30, sy: 0, w: 8, h: 1, dx: 0, dy: 0 }));
        assert!(!geo.copy_in_bounds(&CopyOp { sx: 0, sy: 0, w: 0, h: 1, dx: 0, dy: 0 }));
        assert!(!geo.copy_in_bounds(&CopyOp { sx: usize::MAX, sy: 0, w: 2, h: 1, dx: 0, dy: 0 }));
    }
}
