//! Monitors as RandR 1.5 reports them (`XRRGetMonitors`): physical outputs and any monitors defined with
//! `xrandr --setmonitor`, each a rectangle of the root window.
use super::display::XDisplay;
use super::ffi::*;
use super::region::Area;

pub struct Monitor {
    pub name: String,
    pub primary: bool,
    pub area: Area,
}

pub fn monitors(d: &XDisplay) -> Vec<Monitor> {
    let mut out = Vec::new();
    unsafe {
        let mut n = 0;
        let list = XRRGetMonitors(d.dpy, d.root, TRUE, &mut n);
        if !list.is_null() {
            for m in std::slice::from_raw_parts(list, n.max(0) as usize) {
                out.push(Monitor { name: d.atom_name(m.name), primary: m.primary != FALSE, area: Area::new(m.x, m.y, m.width, m.height) });
            }
            XRRFreeMonitors(list);
        }
    }
    if out.is_empty() {
        // A server without monitors (RandR < 1.5) still has its one screen.
        let (w, h) = d.size();
        out.push(Monitor { name: "screen".into(), primary: true, area: Area::new(0, 0, w, h) });
    }
    out
}
