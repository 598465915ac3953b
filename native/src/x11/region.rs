//! Rectangle arithmetic in root-window coordinates: clipping damage to the shared area, and the parts of
//! a shared window that something else covers (those are masked, never sent).

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Area {
    pub x: i32,
    pub y: i32,
    pub w: i32,
    pub h: i32,
}

impl Area {
    pub fn new(x: i32, y: i32, w: i32, h: i32) -> Self {
        Area { x, y, w, h }
    }

    pub fn is_empty(&self) -> bool {
        self.w <= 0 || self.h <= 0
    }

    pub fn intersect(&self, o: &Area) -> Option<Area> {
        let x0 = self.x.max(o.x);
        let y0 = self.y.max(o.y);
        let x1 = (self.x + self.w).min(o.x + o.w);
        let y1 = (self.y + self.h).min(o.y + o.h);
        if x1 <= x0 || y1 <= y0 {
            None
        } else {
            Some(Area::new(x0, y0, x1 - x0, y1 - y0))
        }
    }

    pub fn union(&self, o: &Area) -> Area {
        let x0 = self.x.min(o.x);
        let y0 = self.y.min(o.y);
        let x1 = (self.x + self.w).max(o.x + o.w);
        let y1 = (self.y + self.h).max(o.y + o.h);
        Area::new(x0, y0, x1 - x0, y1 - y0)
    }

    /// This area moved so that `origin` becomes (0, 0).
    pub fn relative_to(&self, origin: &Area) -> Area {
        Area::new(self.x - origin.x, self.y - origin.y, self.w, self.h)
    }

    pub fn contains(&self, x: i32, y: i32) -> bool {
        x >= self.x && y >= self.y && x < self.x + self.w && y < self.y + self.h
    }
}

/// The parts of `area` that are not visible on screen or are covered by `above` (windows stacked over the
/// shared one), relative to `area`'s origin. They may overlap each other; filling them all is still exact.
pub fn hidden_parts(area: &Area, screen: &Area, above: &[Area]) -> Vec<Area> {
    let mut out: Vec<Area> = above.iter().filter_map(|o| o.intersect(area)).map(|r| r.relative_to(area)).collect();
    // Off-screen strips: left, right, top, bottom (full-width top/bottom strips, clipped left/right ones).
    let (ax1, ay1) = (area.x + area.w, area.y + area.h);
    let (sx1, sy1) = (screen.x + screen.w, screen.y + screen.h);
    let strips = [
        Area::new(area.x, area.y, area.w, screen.y - area.y),
        Area::new(area.x, sy1, area.w, ay1 - sy1),
        Area::new(area.x, area.y, screen.x - area.x, area.h),
        Area::new(sx1, area.y, ax1 - sx1, area.h),
    ];
    out.extend(strips.iter().filter_map(|s| s.intersect(area)).map(|r| r.relative_to(area)));
    out
}

/// Merges damage when it comes in too many pieces: one bounding box is cheaper to capture than hundreds of
/// tiny requests, and it bounds memory however long frames are held back (backpressure).
pub fn coalesce(rects: &mut Vec<Area>, max: usize) {
    if rects.len() > max {
        let bbox = rects.iter().skip(1).fold(rects[0], |b, r| b.union(r));
        rects.clear();
        rects.push(bbox);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_partly_covered_and_partly_off_screen() {
        let screen = Area::new(0, 0, 100, 100);
        let win = Area::new(80, -10, 40, 30); // 20 px off the right edge, 10 px above the top
        let above = [Area::new(85, 5, 10, 10), Area::new(0, 50, 10, 10)]; // one covers it, one does not
        let hidden = hidden_parts(&win, &screen, &above);
        assert!(hidden.contains(&Area::new(5, 15, 10, 10)));
        assert!(hidden.contains(&Area::new(0, 0, 40, 10)));
        assert!(hidden.contains(&Area::new(20, 0, 20, 30)));
        assert_eq!(hidden.len(), 3);
        // Every hidden pixel lies in the window; a visible on-screen uncovered pixel is in none.
        for h in &hidden {
            assert!(Area::new(0, 0, 40, 30).intersect(h) == Some(*h));
            assert!(!h.contains(0, 10) || h.y == 0 && h.h > 10);
        }
    }

    #[test]
    fn a_fully_visible_window_hides_nothing() {
        assert!(hidden_parts(&Area::new(10, 10, 20, 20), &Area::new(0, 0, 100, 100), &[Area::new(50, 50, 5, 5)]).is_empty());
    }

    #[test]
    fn coalescing_bounds_the_list() {
        let mut v: Vec<Area> = (0..10).map(|i| Area::new(i * 10, i, 2, 2)).collect();
        coalesce(&mut v, 4);
        assert_eq!(v, vec![Area::new(0, 0, 92, 11)]);
        let mut w = vec![Area::new(1, 1, 1, 1)];
        coalesce(&mut w, 4);
        assert_eq!(w.len(), 1);
    }
}
