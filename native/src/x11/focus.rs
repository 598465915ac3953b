//! Keyboard focus for a one-window share: the technician's keys go to the shared window and never into
//! another one. X delivers key events (XTest's too) to the focus window, or, when the focus is PointerRoot,
//! to whatever window is under the pointer, so before each key the focus is checked and, when it is
//! anywhere but inside the shared window, given to it (and the window raised, so the customer sees where
//! the typing goes and nothing covers it).
use super::display::XDisplay;
use super::error::{fail, Result, X11ErrorCode};
use super::ffi::*;
use std::os::raw::c_uint;
use std::ptr::null_mut;

/// The parent of `w` (None at the root or when `w` is gone).
unsafe fn parent(d: &XDisplay, w: Window) -> Option<Window> {
    let (mut root, mut parent) = (0, 0);
    let mut kids: *mut Window = null_mut();
    let mut n: c_uint = 0;
    if XQueryTree(d.dpy, w, &mut root, &mut parent, &mut kids, &mut n) == 0 {
        return None;
    }
    if !kids.is_null() {
        XFree(kids as *mut _);
    }
    (parent != 0).then_some(parent)
}

/// `w` itself or one of its descendants (a real window, not PointerRoot or None).
unsafe fn inside(d: &XDisplay, mut w: Window, shared: Window) -> bool {
    if w == NONE || w == POINTER_ROOT {
        return false;
    }
    for _ in 0..64 {
        if w == shared {
            return true;
        }
        if w == d.root {
            return false;
        }
        match parent(d, w) {
            Some(p) => w = p,
            None => return false,
        }
    }
    false
}

/// The root's child that holds `w` (what stacking, and so raising, applies to).
unsafe fn top_level(d: &XDisplay, w: Window) -> Window {
    let mut cur = w;
    for _ in 0..64 {
        match parent(d, cur) {
            Some(p) if p != d.root => cur = p,
            _ => break,
        }
    }
    cur
}

/// Makes sure keys go to `shared`: one round trip when it already has the focus. E_X11_WINDOW when the
/// focus cannot be given to it (unmapped, gone): then the key is not sent at all.
pub fn keep_on(d: &XDisplay, shared: Window) -> Result<()> {
    unsafe {
        let (mut focus, mut revert) = (0 as Window, 0);
        XGetInputFocus(d.dpy, &mut focus, &mut revert);
        if inside(d, focus, shared) {
            return Ok(());
        }
        d.clear_error();
        XRaiseWindow(d.dpy, top_level(d, shared));
        XSetInputFocus(d.dpy, shared, REVERT_TO_PARENT, CURRENT_TIME);
        let refused = d.sync_error();
        XGetInputFocus(d.dpy, &mut focus, &mut revert);
        if refused.is_some() || !inside(d, focus, shared) {
            return fail(X11ErrorCode::Window, format!("cannot give the keyboard to the shared window 0x{shared:x}; the key was not sent"));
        }
        Ok(())
    }
}
