//! Clipboard text both ways through X selections (ICCCM §2). To offer text we own CLIPBOARD with a small
//! unmapped window and answer SelectionRequest events for UTF8_STRING/STRING/TEXT/TARGETS. To learn the
//! customer's text we ask XFixes to tell us when someone else takes CLIPBOARD, then convert it into a
//! property of our window and read it when SelectionNotify says it is there. Text only; no INCR transfers
//! (so at most what one property holds, far above the 64 KiB a control message carries).
use super::display::XDisplay;
use super::ffi::*;
use std::os::raw::{c_int, c_ulong};
use std::ptr::null_mut;

pub const MAX_CLIPBOARD_BYTES: usize = 60 * 1024;

pub struct Clipboard {
    window: Window,
    clipboard: Atom,
    utf8: Atom,
    targets: Atom,
    text_atom: Atom,
    property: Atom,
    /// What we offer while we own the selection.
    offered: Option<Vec<u8>>,
    /// Text the customer copied, read and not yet taken by JS.
    pub incoming: Option<String>,
}

impl Clipboard {
    pub fn new(d: &XDisplay) -> Self {
        unsafe {
            let window = XCreateSimpleWindow(d.dpy, d.root, -10, -10, 1, 1, 0, 0, 0);
            let c = Clipboard {
                window,
                clipboard: d.atom("CLIPBOARD"),
                utf8: d.atom("UTF8_STRING"),
                targets: d.atom("TARGETS"),
                text_atom: d.atom("TEXT"),
                property: d.atom("RELAYDESK_CLIPBOARD"),
                offered: None,
                incoming: None,
            };
            XFixesSelectSelectionInput(d.dpy, d.root, c.clipboard, X_FIXES_SET_SELECTION_OWNER_NOTIFY_MASK);
            c
        }
    }

    /// Offers `text` as the clipboard (the technician pasted it to the customer).
    pub fn set(&mut self, d: &XDisplay, text: &str) {
        self.offered = Some(text.as_bytes().to_vec());
        unsafe { XSetSelectionOwner(d.dpy, self.clipboard, self.window, CURRENT_TIME) };
        d.flush();
    }

    /// Handles one event if it is about the clipboard; true when it was.
    pub fn handle(&mut self, d: &XDisplay, ev: &mut XEvent) -> bool {
        unsafe {
            if ev.kind() == d.fixes_event + X_FIXES_SELECTION_NOTIFY {
                let e = &*(ev as *const XEvent as *const XFixesSelectionNotifyEvent);
                if e.selection == self.clipboard && e.owner != self.window && e.owner != NONE {
                    // Someone else copied: that replaces our offer, and we fetch their text.
                    self.offered = None;
                    XConvertSelection(d.dpy, self.clipboard, self.utf8, self.property, self.window, e.timestamp);
                    d.flush();
                }
                return true;
            }
            match ev.kind() {
                SELECTION_NOTIFY => {
                    let e = &*(ev as *const XEvent as *const XSelectionEvent);
                    if e.requestor == self.window && e.property != NONE {
                        self.incoming = self.read_property(d);
                    }
                    true
                }
                SELECTION_REQUEST => {
                    self.answer(d, &*(ev as *const XEvent as *const XSelectionRequestEvent));
                    true
                }
                SELECTION_CLEAR => {
                    self.offered = None;
                    true
                }
                _ => false,
            }
        }
    }

    unsafe fn read_property(&self, d: &XDisplay) -> Option<String> {
        let (mut kind, mut format, mut n, mut after) = (0 as Atom, 0 as c_int, 0 as c_ulong, 0 as c_ulong);
        let mut data: *mut u8 = null_mut();
        let words = (MAX_CLIPBOARD_BYTES / 4) as i64;
        let ok = XGetWindowProperty(d.dpy, self.window, self.property, 0, words, TRUE, ANY_PROPERTY_TYPE, &mut kind, &mut format, &mut n, &mut after, &mut data);
        if ok != 0 || data.is_null() {
            return None;
        }
        let text = (format == 8).then(|| String::from_utf8_lossy(std::slice::from_raw_parts(data, n as usize)).into_owned());
        XFree(data as *mut _);
        text
    }

    unsafe fn answer(&self, d: &XDisplay, r: &XSelectionRequestEvent) {
        let mut reply = XSelectionEvent { kind: SELECTION_NOTIFY, serial: 0, send_event: TRUE, display: d.dpy, requestor: r.requestor, selection: r.selection, target: r.target, property: NONE, time: r.time };
        // Obsolete clients send property None: ICCCM says use the target atom as the property.
        let property = if r.property == NONE { r.target } else { r.property };
        if let Some(text) = &self.offered {
            if r.target == self.targets {
                let list: [Atom; 4] = [self.targets, self.utf8, XA_STRING, self.text_atom];
                XChangeProperty(d.dpy, r.requestor, property, XA_ATOM, 32, PROP_MODE_REPLACE, list.as_ptr() as *const u8, list.len() as c_int);
                reply.property = property;
            } else if r.target == self.utf8 || r.target == XA_STRING || r.target == self.text_atom {
                let kind = if r.target == XA_STRING { XA_STRING } else { self.utf8 };
                XChangeProperty(d.dpy, r.requestor, property, kind, 8, PROP_MODE_REPLACE, text.as_ptr(), text.len() as c_int);
                reply.property = property;
            }
        }
        let mut ev = XEvent::zeroed();
        std::ptr::copy_nonoverlapping(&reply as *const XSelectionEvent as *const u8, &mut ev as *mut XEvent as *mut u8, std::mem::size_of::<XSelectionEvent>());
        XSendEvent(d.dpy, r.requestor, FALSE, 0, &mut ev);
        d.flush();
    }

    pub fn close(&mut self, d: &XDisplay) {
        if d.alive().is_ok() && self.window != NONE {
            unsafe { XDestroyWindow(d.dpy, self.window) };
        }
        self.window = NONE;
    }
}
