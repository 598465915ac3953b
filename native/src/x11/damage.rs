//! What changed on screen, from XDamage on the root window (without a compositor every window draws into
//! the root's pixels, so this sees all of them). The server sends one DamageNotify when the damage goes from
//! empty to non-empty; only then do we fetch and clear it (one round trip), so an idle screen costs nothing.
use super::display::XDisplay;
use super::ffi::*;
use super::region::Area;

pub struct DamageTracker {
    damage: Damage,
    region: XserverRegion,
    /// A DamageNotify arrived since the last `take`.
    pub notified: bool,
}

impl DamageTracker {
    pub fn new(d: &XDisplay) -> Self {
        unsafe {
            DamageTracker {
                damage: XDamageCreate(d.dpy, d.root, X_DAMAGE_REPORT_NON_EMPTY),
                region: XFixesCreateRegion(d.dpy, std::ptr::null(), 0),
                // Start as if notified: the first take() clears whatever was there before us.
                notified: true,
            }
        }
    }

    pub fn is_damage_event(&self, d: &XDisplay, ev: &XEvent) -> bool {
        ev.kind() == d.damage_event + X_DAMAGE_NOTIFY
    }

    /// Moves the accumulated damage into `out` (root coordinates) and clears it at the server.
    pub fn take(&mut self, d: &XDisplay, out: &mut Vec<Area>) {
        if !self.notified {
            return;
        }
        self.notified = false;
        unsafe {
            XDamageSubtract(d.dpy, self.damage, NONE, self.region);
            let mut n = 0;
            let rects = XFixesFetchRegion(d.dpy, self.region, &mut n);
            if rects.is_null() {
                return;
            }
            for r in std::slice::from_raw_parts(rects, n.max(0) as usize) {
                out.push(Area::new(r.x as i32, r.y as i32, r.width as i32, r.height as i32));
            }
            XFree(rects as *mut _);
        }
    }

    pub fn close(&mut self, d: &XDisplay) {
        if d.alive().is_ok() && self.damage != NONE {
            unsafe {
                XDamageDestroy(d.dpy, self.damage);
                XFixesDestroyRegion(d.dpy, self.region);
            }
        }
        self.damage = NONE;
    }
}
