//! Turns a list of changed tile rectangles into tile entries plus entropy-coded streams.
//! Flat rectangles become solid fills (5 bytes, no entropy coding). The rest are split into
//! contiguous groups of similar pixel count, one stream per worker thread, coded in parallel:
//! each stream starts with a fresh model, and neighbours are read from the target frame, which
//! is final everywhere a decoder would look, so streams are independent for the encoder.
use crate::format::{TileEntry, TileFill};
use crate::geometry::{px, Geometry, Rect};
use crate::model::Model;
use crate::rangecoder::RcEncoder;
use crate::tilecode::encode_rect;

/// Below this many coded pixels one stream is cheaper than a thread hand-off (measured: a
/// thread spawn is ~20 us; 64k pixels take ~1 ms to code).
const PARALLEL_MIN_PIXELS: usize = 65_536;

fn solid_colour(cur: &[u8], width: usize, r: Rect, alpha: u32) -> Option<u32> {
    let c = px(cur, r.y * width + r.x) | alpha;
    for y in r.y..r.y + r.h {
        let s = (y * width + r.x) * 4;
        if !cur[s..s + r.w * 4].chunks_exact(4).all(|p| u32::from_le_bytes([p[0], p[1], p[2], p[3]]) | alpha == c) {
            return None;
        }
    }
    Some(c)
}

/// `alpha`: see `tilecode::encode_rect` (0, or 0xFF000000 when the fourth byte is padding).
pub fn code_tiles(geo: &Geometry, cur: &[u8], old: Option<&[u8]>, rects: &[(usize, Rect)], threads: usize, alpha: u32) -> (Vec<TileEntry>, Vec<(usize, Vec<u8>)>) {
    let mut entries = Vec::with_capacity(rects.len());
    let mut coded: Vec<Rect> = Vec::new();
    for &(index, rect) in rects {
        let fill = match solid_colour(cur, geo.width, rect, alpha) {
            Some(c) => TileFill::Solid(c),
            None => {
                coded.push(rect);
                TileFill::Coded
            }
        };
        entries.push(TileEntry { index, rect, fill });
    }
    if coded.is_empty() {
        return (entries, Vec::new());
    }
    let total: usize = coded.iter().map(|r| r.w * r.h).sum();
    let n = if threads > 1 && total >= PARALLEL_MIN_PIXELS { threads.min(coded.len()) } else { 1 };
    // Contiguous groups with about total/n pixels each.
    let mut groups: Vec<&[Rect]> = Vec::with_capacity(n);
    let mut start = 0;
    let mut acc = 0;
    for (i, r) in coded.iter().enumerate() {
        acc += r.w * r.h;
        let left = n - groups.len();
        if left > 1 && acc * n >= total * (groups.len() + 1) && coded.len() - (i + 1) >= left - 1 {
            groups.push(&coded[start..=i]);
            start = i + 1;
        }
    }
    groups.push(&coded[start..]);
    let code = |g: &[Rect]| {
        let mut rc = RcEncoder::new();
        let mut m = Model::new();
        for &r in g {
            encode_rect(&mut rc, &mut m, cur, old, geo.width, r, alpha);
        }
        (g.len(), rc.finish())
    };
    let streams = if groups.len() == 1 {
        vec![code(groups[0])]
    } else {
        std::thread::scope(|sc| {
            let handles: Vec<_> = groups[1..].iter().map(|g| sc.spawn(move || code(g))).collect();
            let mut out = vec![code(groups[0])];
            out.extend(handles.into_iter().map(|h| h.join().expect("stream coder panicked")));
            out
        })
    };
    (entries, streams)
}
