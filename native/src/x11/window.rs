//! Windows: listing the top-level ones (to pick one by id or name), and where a shared window is now and
//! what covers it. X stacks the root's children bottom to top (XQueryTree order), so the windows above the
//! shared one's top-level ancestor are exactly those after it in that list.
use super::display::XDisplay;
use super::error::{fail, Result, X11ErrorCode};
use super::ffi::*;
use super::region::Area;
use std::os::raw::{c_int, c_uint, c_ulong};
use std::ptr::null_mut;

pub struct WindowInfo {
    pub id: Window,
    pub name: String,
    pub area: Area,
}

/// Where a shared window is: its own rectangle on the root, and the rectangles of windows stacked over it.
#[derive(PartialEq, Debug, Clone, Default)]
pub struct Placement {
    pub area: Area,
    pub above: Vec<Area>,
}

unsafe fn children(d: &XDisplay, w: Window) -> Option<(Window, Vec<Window>)> {
    let (mut root, mut parent) = (0, 0);
    let mut kids: *mut Window = null_mut();
    let mut n: c_uint = 0;
    if XQueryTree(d.dpy, w, &mut root, &mut parent, &mut kids, &mut n) == 0 {
        return None;
    }
    let v = if kids.is_null() { Vec::new() } else { std::slice::from_raw_parts(kids, n as usize).to_vec() };
    if !kids.is_null() {
        XFree(kids as *mut _);
    }
    Some((parent, v))
}

unsafe fn attributes(d: &XDisplay, w: Window) -> Option<XWindowAttributes> {
    let mut a: XWindowAttributes = std::mem::zeroed();
    (XGetWindowAttributes(d.dpy, w, &mut a) != 0).then_some(a)
}

/// A window's outer rectangle (border included) in its parent's coordinates, for a child of the root.
fn outer(a: &XWindowAttributes) -> Area {
    Area::new(a.x, a.y, a.width + 2 * a.border_width, a.height + 2 * a.border_width)
}

unsafe fn text_property(d: &XDisplay, w: Window, prop: Atom) -> Option<String> {
    let (mut kind, mut format, mut n, mut after) = (0 as Atom, 0 as c_int, 0 as c_ulong, 0 as c_ulong);
    let mut data: *mut u8 = null_mut();
    if XGetWindowProperty(d.dpy, w, prop, 0, 1024, FALSE, ANY_PROPERTY_TYPE, &mut kind, &mut format, &mut n, &mut after, &mut data) != 0 || data.is_null() {
        return None;
    }
    let s = (format == 8 && n > 0).then(|| String::from_utf8_lossy(std::slice::from_raw_parts(data, n as usize)).into_owned());
    XFree(data as *mut _);
    s
}

/// The title of `w`, or of the first named window below it (a window manager's frame has the client inside).
unsafe fn title(d: &XDisplay, w: Window, depth: u32) -> Option<String> {
    let net = d.atom("_NET_WM_NAME");
    if let Some(s) = text_property(d, w, net).or_else(|| text_property(d, w, XA_WM_NAME)) {
        return Some(s);
    }
    if depth == 0 {
        return None;
    }
    let (_, kids) = children(d, w)?;
    kids.into_iter().rev().find_map(|k| title(d, k, depth - 1))
}

/// Viewable top-level windows, topmost first.
pub fn list(d: &XDisplay) -> Vec<WindowInfo> {
    unsafe {
        let Some((_, kids)) = children(d, d.root) else { return Vec::new() };
        let mut out = Vec::new();
        for w in kids.into_iter().rev() {
            let Some(a) = attributes(d, w) else { continue };
            if a.map_state != IS_VIEWABLE || a.class != INPUT_OUTPUT {
                continue;
            }
            let Some(name) = title(d, w, 2) else { continue };
            out.push(WindowInfo { id: w, name, area: outer(&a) });
        }
        out
    }
}

/// The child of the root that contains `w` (itself when it is one).
unsafe fn top_level(d: &XDisplay, w: Window) -> Option<Window> {
    let mut cur = w;
    for _ in 0..64 {
        let (parent, _) = children(d, cur)?;
        if parent == d.root || parent == 0 {
            return Some(cur);
        }
        cur = parent;
    }
    None
}

/// Where `w` is now. E_X11_WINDOW when it no longer exists or is not viewable (unmapped, minimised).
pub fn placement(d: &XDisplay, w: Window) -> Result<Placement> {
    unsafe {
        d.clear_error();
        let gone = || fail(X11ErrorCode::Window, format!("window 0x{w:x} is gone or not shown"));
        let Some(a) = attributes(d, w) else {
            d.sync_error();
            return gone();
        };
        if a.map_state != IS_VIEWABLE {
            return gone();
        }
        let (mut x, mut y, mut child) = (0, 0, 0);
        if XTranslateCoordinates(d.dpy, w, d.root, 0, 0, &mut x, &mut y, &mut child) == FALSE {
            return gone();
        }
        let Some(top) = top_level(d, w) else { return gone() };
        let Some((_, stack)) = children(d, d.root) else { return gone() };
        let mut above = Vec::new();
        if let Some(pos) = stack.iter().position(|&s| s == top) {
            for &s in &stack[pos + 1..] {
                if let Some(sa) = attributes(d, s) {
                    if sa.map_state == IS_VIEWABLE && sa.class == INPUT_OUTPUT {
                        above.push(outer(&sa));
                    }
                }
            }
        }
        d.sync_error();
        Ok(Placement { area: Area::new(x, y, a.width, a.height), above })
    }
}

/// Asks for the structure events that tell us a shared window moved, resized, restacked or went away.
pub fn watch(d: &XDisplay, w: Option<Window>) {
    unsafe {
        XSelectInput(d.dpy, d.root, SUBSTRUCTURE_NOTIFY_MASK);
        if let Some(w) = w {
            XSelectInput(d.dpy, w, STRUCTURE_NOTIFY_MASK);
        }
    }
}

pub fn is_structure_event(ev: &XEvent) -> bool {
    matches!(ev.kind(), CONFIGURE_NOTIFY | MAP_NOTIFY | UNMAP_NOTIFY | DESTROY_NOTIFY | REPARENT_NOTIFY | CIRCULATE_NOTIFY)
}
