//! The pointer: its shape through XFixes (a CursorNotify event says when it changed, with a serial), its
//! position through XQueryPointer. Viewers draw it themselves, so the screen frames never carry it and a
//! moving pointer costs a few bytes, not re-encoded pixels.
use super::display::XDisplay;
use super::ffi::*;

pub struct CursorShape {
    pub serial: u32,
    pub width: u16,
    pub height: u16,
    pub hot_x: u16,
    pub hot_y: u16,
    /// BGRA, premultiplied alpha (as XFixes gives it), width*height*4 bytes.
    pub pixels: Vec<u8>,
}

pub struct CursorTracker {
    /// A CursorNotify arrived since the shape was last read.
    pub changed: bool,
}

impl CursorTracker {
    pub fn new(d: &XDisplay) -> Self {
        unsafe { XFixesSelectCursorInput(d.dpy, d.root, X_FIXES_DISPLAY_CURSOR_NOTIFY_MASK) };
        CursorTracker { changed: true }
    }

    pub fn is_cursor_event(&self, d: &XDisplay, ev: &XEvent) -> bool {
        ev.kind() == d.fixes_event + X_FIXES_CURSOR_NOTIFY
    }

    pub fn shape(&mut self, d: &XDisplay) -> Option<CursorShape> {
        self.changed = false;
        unsafe {
            let img = XFixesGetCursorImage(d.dpy);
            if img.is_null() {
                return None;
            }
            let i = &*img;
            let n = i.width as usize * i.height as usize;
            let mut pixels = Vec::with_capacity(n * 4);
            // Each pixel is an ARGB value in the low 32 bits of an `unsigned long`; little-endian bytes are BGRA.
            for &p in std::slice::from_raw_parts(i.pixels, n) {
                pixels.extend_from_slice(&(p as u32).to_le_bytes());
            }
            let shape = CursorShape { serial: i.cursor_serial as u32, width: i.width, height: i.height, hot_x: i.xhot, hot_y: i.yhot, pixels };
            XFree(img as *mut _);
            Some(shape)
        }
    }

    /// Pointer position in root coordinates.
    pub fn position(&self, d: &XDisplay) -> Option<(i32, i32)> {
        let (mut root, mut child) = (0, 0);
        let (mut x, mut y, mut wx, mut wy) = (0, 0, 0, 0);
        let mut mask = 0;
        let on_screen = unsafe { XQueryPointer(d.dpy, d.root, &mut root, &mut child, &mut x, &mut y, &mut wx, &mut wy, &mut mask) };
        (on_screen != FALSE).then_some((x, y))
    }
}
