//! The Xlib, MIT-SHM (libXext), XDamage, XFixes, XTest and XRandR declarations this crate uses, written by
//! hand because crates.io (x11-dl, x11rb) cannot be reached. Signatures and struct layouts follow Debian 12's
//! headers (Xlib.h, XShm.h, Xdamage.h, Xfixes.h, XTest.h, Xrandr.h) on LP64: `unsigned long` is u64 (XID,
//! Atom, KeySym, Time) and `Bool` is a C int.
#![allow(non_camel_case_types, non_snake_case, dead_code)]
use std::os::raw::{c_char, c_int, c_long, c_short, c_uint, c_ulong, c_ushort, c_void};

pub type Display = c_void;
pub type Visual = c_void;
pub type XID = c_ulong;
pub type Window = XID;
pub type Drawable = XID;
pub type Atom = c_ulong;
pub type KeySym = c_ulong;
pub type KeyCode = u8;
pub type Time = c_ulong;
pub type Bool = c_int;
pub type Status = c_int;
pub type Damage = XID;
pub type Pixmap = XID;
/// Xlib's `GC` (a pointer to its private struct).
pub type GC = *mut c_void;
pub type XserverRegion = XID;

pub const FALSE: Bool = 0;
pub const TRUE: Bool = 1;
pub const NONE: XID = 0;
pub const CURRENT_TIME: Time = 0;
pub const ZPIXMAP: c_int = 2;
pub const ALL_PLANES: c_ulong = !0;
pub const IS_VIEWABLE: c_int = 2;
pub const INCLUDE_INFERIORS: c_int = 1;
pub const REVERT_TO_PARENT: c_int = 2;
/// XGetInputFocus's focus values that are not windows.
pub const POINTER_ROOT: Window = 1;
pub const INPUT_OUTPUT: c_int = 1;
pub const PROP_MODE_REPLACE: c_int = 0;
pub const ANY_PROPERTY_TYPE: Atom = 0;
pub const XA_ATOM: Atom = 4;
pub const XA_STRING: Atom = 31;
pub const XA_WM_NAME: Atom = 39;

// Event types (X.h).
pub const KEY_PRESS: c_int = 2;
pub const DESTROY_NOTIFY: c_int = 17;
pub const UNMAP_NOTIFY: c_int = 18;
pub const MAP_NOTIFY: c_int = 19;
pub const REPARENT_NOTIFY: c_int = 21;
pub const CONFIGURE_NOTIFY: c_int = 22;
pub const CIRCULATE_NOTIFY: c_int = 26;
pub const SELECTION_CLEAR: c_int = 29;
pub const SELECTION_REQUEST: c_int = 30;
pub const SELECTION_NOTIFY: c_int = 31;
pub const MAPPING_NOTIFY: c_int = 34;
// Event masks.
pub const STRUCTURE_NOTIFY_MASK: c_long = 1 << 17;
pub const SUBSTRUCTURE_NOTIFY_MASK: c_long = 1 << 19;
pub const PROPERTY_CHANGE_MASK: c_long = 1 << 22;

// XDamage / XFixes constants.
pub const X_DAMAGE_REPORT_NON_EMPTY: c_int = 3;
pub const X_DAMAGE_NOTIFY: c_int = 0;
pub const X_FIXES_CURSOR_NOTIFY: c_int = 1;
pub const X_FIXES_SELECTION_NOTIFY: c_int = 0;
pub const X_FIXES_DISPLAY_CURSOR_NOTIFY_MASK: c_ulong = 1;
pub const X_FIXES_SET_SELECTION_OWNER_NOTIFY_MASK: c_ulong = 1;

// shmget/shmat (sys/shm.h), from libc, which std links already.
pub const IPC_PRIVATE: c_int = 0;
pub const IPC_CREAT: c_int = 0o1000;
pub const IPC_RMID: c_int = 0;

#[repr(C)]
pub struct XImageFuncs {
    pub create_image: *mut c_void,
    pub destroy_image: Option<unsafe extern "C" fn(*mut XImage) -> c_int>,
    pub get_pixel: *mut c_void,
    pub put_pixel: *mut c_void,
    pub sub_image: *mut c_void,
    pub add_pixel: *mut c_void,
}

#[repr(C)]
pub struct XImage {
    pub width: c_int,
    pub height: c_int,
    pub xoffset: c_int,
    pub format: c_int,
    pub data: *mut c_char,
    pub byte_order: c_int,
    pub bitmap_unit: c_int,
    pub bitmap_bit_order: c_int,
    pub bitmap_pad: c_int,
    pub depth: c_int,
    pub bytes_per_line: c_int,
    pub bits_per_pixel: c_int,
    pub red_mask: c_ulong,
    pub green_mask: c_ulong,
    pub blue_mask: c_ulong,
    pub obdata: *mut c_char,
    pub f: XImageFuncs,
}

#[repr(C)]
pub struct XShmSegmentInfo {
    pub shmseg: c_ulong,
    pub shmid: c_int,
    pub shmaddr: *mut c_char,
    pub read_only: Bool,
}

#[repr(C)]
pub struct XWindowAttributes {
    pub x: c_int,
    pub y: c_int,
    pub width: c_int,
    pub height: c_int,
    pub border_width: c_int,
    pub depth: c_int,
    pub visual: *mut Visual,
    pub root: Window,
    pub class: c_int,
    pub bit_gravity: c_int,
    pub win_gravity: c_int,
    pub backing_store: c_int,
    pub backing_planes: c_ulong,
    pub backing_pixel: c_ulong,
    pub save_under: Bool,
    pub colormap: XID,
    pub map_installed: Bool,
    pub map_state: c_int,
    pub all_event_masks: c_long,
    pub your_event_mask: c_long,
    pub do_not_propagate_mask: c_long,
    pub override_redirect: Bool,
    pub screen: *mut c_void,
}

#[repr(C)]
#[derive(Clone, Copy, Default, Debug)]
pub struct XRectangle {
    pub x: c_short,
    pub y: c_short,
    pub width: c_ushort,
    pub height: c_ushort,
}

/// XEvent is a union padded to 24 longs.
#[repr(C)]
pub struct XEvent {
    pub pad: [c_long; 24],
}

impl XEvent {
    pub fn zeroed() -> Self {
        XEvent { pad: [0; 24] }
    }
    pub fn kind(&self) -> c_int {
        self.pad[0] as c_int
    }
}

#[repr(C)]
pub struct XErrorEvent {
    pub kind: c_int,
    pub display: *mut Display,
    pub resourceid: XID,
    pub serial: c_ulong,
    pub error_code: u8,
    pub request_code: u8,
    pub minor_code: u8,
}

#[repr(C)]
pub struct XSelectionRequestEvent {
    pub kind: c_int,
    pub serial: c_ulong,
    pub send_event: Bool,
    pub display: *mut Display,
    pub owner: Window,
    pub requestor: Window,
    pub selection: Atom,
    pub target: Atom,
    pub property: Atom,
    pub time: Time,
}

#[repr(C)]
pub struct XSelectionEvent {
    pub kind: c_int,
    pub serial: c_ulong,
    pub send_event: Bool,
    pub display: *mut Display,
    pub requestor: Window,
    pub selection: Atom,
    pub target: Atom,
    pub property: Atom,
    pub time: Time,
}

#[repr(C)]
pub struct XFixesSelectionNotifyEvent {
    pub kind: c_int,
    pub serial: c_ulong,
    pub send_event: Bool,
    pub display: *mut Display,
    pub window: Window,
    pub subtype: c_int,
    pub owner: Window,
    pub selection: Atom,
    pub timestamp: Time,
    pub selection_timestamp: Time,
}

#[repr(C)]
pub struct XFixesCursorImage {
    pub x: c_short,
    pub y: c_short,
    pub width: c_ushort,
    pub height: c_ushort,
    pub xhot: c_ushort,
    pub yhot: c_ushort,
    pub cursor_serial: c_ulong,
    /// One ARGB pixel (premultiplied) in the low 32 bits of each `unsigned long`.
    pub pixels: *mut c_ulong,
    pub atom: Atom,
    pub name: *const c_char,
}

#[repr(C)]
pub struct XRRMonitorInfo {
    pub name: Atom,
    pub primary: Bool,
    pub automatic: Bool,
    pub noutput: c_int,
    pub x: c_int,
    pub y: c_int,
    pub width: c_int,
    pub height: c_int,
    pub mwidth: c_int,
    pub mheight: c_int,
    pub outputs: *mut XID,
}

pub type XErrorHandler = Option<unsafe extern "C" fn(*mut Display, *mut XErrorEvent) -> c_int>;
pub type XIOErrorHandler = Option<unsafe extern "C" fn(*mut Display) -> c_int>;
pub type XIOErrorExitHandler = Option<unsafe extern "C" fn(*mut Display, *mut c_void)>;

#[link(name = "X11")]
extern "C" {
    pub fn XOpenDisplay(name: *const c_char) -> *mut Display;
    pub fn XCloseDisplay(dpy: *mut Display) -> c_int;
    pub fn XDefaultScreen(dpy: *mut Display) -> c_int;
    pub fn XRootWindow(dpy: *mut Display, screen: c_int) -> Window;
    pub fn XDisplayWidth(dpy: *mut Display, screen: c_int) -> c_int;
    pub fn XDisplayHeight(dpy: *mut Display, screen: c_int) -> c_int;
    pub fn XDefaultVisual(dpy: *mut Display, screen: c_int) -> *mut Visual;
    pub fn XDefaultDepth(dpy: *mut Display, screen: c_int) -> c_int;
    pub fn XPending(dpy: *mut Display) -> c_int;
    pub fn XNextEvent(dpy: *mut Display, ev: *mut XEvent) -> c_int;
    pub fn XFlush(dpy: *mut Display) -> c_int;
    pub fn XSync(dpy: *mut Display, discard: Bool) -> c_int;
    pub fn XSetErrorHandler(handler: XErrorHandler) -> XErrorHandler;
    pub fn XSetIOErrorHandler(handler: XIOErrorHandler) -> XIOErrorHandler;
    pub fn XSetIOErrorExitHandler(dpy: *mut Display, handler: XIOErrorExitHandler, data: *mut c_void);
    pub fn XFree(data: *mut c_void) -> c_int;
    pub fn XQueryTree(dpy: *mut Display, w: Window, root: *mut Window, parent: *mut Window, children: *mut *mut Window, n: *mut c_uint) -> Status;
    pub fn XGetWindowAttributes(dpy: *mut Display, w: Window, attrs: *mut XWindowAttributes) -> Status;
    pub fn XTranslateCoordinates(dpy: *mut Display, src: Window, dst: Window, x: c_int, y: c_int, dx: *mut c_int, dy: *mut c_int, child: *mut Window) -> Bool;
    pub fn XQueryPointer(
        dpy: *mut Display,
        w: Window,
        root: *mut Window,
        child: *mut Window,
        root_x: *mut c_int,
        root_y: *mut c_int,
        win_x: *mut c_int,
        win_y: *mut c_int,
        mask: *mut c_uint,
    ) -> Bool;
    pub fn XSelectInput(dpy: *mut Display, w: Window, mask: c_long) -> c_int;
    pub fn XGetAtomName(dpy: *mut Display, atom: Atom) -> *mut c_char;
    pub fn XInternAtom(dpy: *mut Display, name: *const c_char, only_if_exists: Bool) -> Atom;
    pub fn XGetWindowProperty(
        dpy: *mut Display,
        w: Window,
        property: Atom,
        offset: c_long,
        length: c_long,
        delete: Bool,
        req_type: Atom,
        actual_type: *mut Atom,
        actual_format: *mut c_int,
        nitems: *mut c_ulong,
        bytes_after: *mut c_ulong,
        prop: *mut *mut u8,
    ) -> c_int;
    pub fn XChangeProperty(dpy: *mut Display, w: Window, property: Atom, kind: Atom, format: c_int, mode: c_int, data: *const u8, n: c_int) -> c_int;
    pub fn XDeleteProperty(dpy: *mut Display, w: Window, property: Atom) -> c_int;
    pub fn XSendEvent(dpy: *mut Display, w: Window, propagate: Bool, mask: c_long, ev: *mut XEvent) -> Status;
    pub fn XCreateSimpleWindow(dpy: *mut Display, parent: Window, x: c_int, y: c_int, w: c_uint, h: c_uint, border: c_uint, border_px: c_ulong, bg: c_ulong) -> Window;
    pub fn XDestroyWindow(dpy: *mut Display, w: Window) -> c_int;
    pub fn XSetSelectionOwner(dpy: *mut Display, selection: Atom, owner: Window, time: Time) -> c_int;
    pub fn XGetSelectionOwner(dpy: *mut Display, selection: Atom) -> Window;
    pub fn XConvertSelection(dpy: *mut Display, selection: Atom, target: Atom, property: Atom, requestor: Window, time: Time) -> c_int;
    pub fn XCreateGC(dpy: *mut Display, d: Drawable, mask: c_ulong, values: *mut c_void) -> GC;
    pub fn XFreeGC(dpy: *mut Display, gc: GC) -> c_int;
    pub fn XSetSubwindowMode(dpy: *mut Display, gc: GC, mode: c_int) -> c_int;
    pub fn XSetGraphicsExposures(dpy: *mut Display, gc: GC, exposures: Bool) -> c_int;
    pub fn XCopyArea(dpy: *mut Display, src: Drawable, dst: Drawable, gc: GC, sx: c_int, sy: c_int, w: c_uint, h: c_uint, dx: c_int, dy: c_int) -> c_int;
    pub fn XFreePixmap(dpy: *mut Display, p: Pixmap) -> c_int;
    pub fn XConnectionNumber(dpy: *mut Display) -> c_int;
    pub fn XEventsQueued(dpy: *mut Display, mode: c_int) -> c_int;
    pub fn XGetInputFocus(dpy: *mut Display, focus: *mut Window, revert: *mut c_int) -> c_int;
    pub fn XSetInputFocus(dpy: *mut Display, w: Window, revert: c_int, time: Time) -> c_int;
    pub fn XRaiseWindow(dpy: *mut Display, w: Window) -> c_int;
    pub fn XGetImage(dpy: *mut Display, d: Drawable, x: c_int, y: c_int, w: c_uint, h: c_uint, planes: c_ulong, format: c_int) -> *mut XImage;
    pub fn XDisplayKeycodes(dpy: *mut Display, min: *mut c_int, max: *mut c_int) -> c_int;
    pub fn XGetKeyboardMapping(dpy: *mut Display, first: KeyCode, count: c_int, per_code: *mut c_int) -> *mut KeySym;
    pub fn XChangeKeyboardMapping(dpy: *mut Display, first: c_int, per_code: c_int, keysyms: *const KeySym, count: c_int) -> c_int;
    pub fn XKeysymToString(ks: KeySym) -> *const c_char;
    pub fn XStringToKeysym(s: *const c_char) -> KeySym;
}

#[link(name = "Xext")]
extern "C" {
    pub fn XShmQueryExtension(dpy: *mut Display) -> Bool;
    pub fn XShmCreateImage(dpy: *mut Display, visual: *mut Visual, depth: c_uint, format: c_int, data: *mut c_char, info: *mut XShmSegmentInfo, w: c_uint, h: c_uint) -> *mut XImage;
    pub fn XShmAttach(dpy: *mut Display, info: *mut XShmSegmentInfo) -> Bool;
    pub fn XShmDetach(dpy: *mut Display, info: *mut XShmSegmentInfo) -> Bool;
    pub fn XShmGetImage(dpy: *mut Display, d: Drawable, image: *mut XImage, x: c_int, y: c_int, planes: c_ulong) -> Bool;
    pub fn XShmQueryVersion(dpy: *mut Display, major: *mut c_int, minor: *mut c_int, pixmaps: *mut Bool) -> Bool;
    pub fn XShmPixmapFormat(dpy: *mut Display) -> c_int;
    pub fn XShmCreatePixmap(dpy: *mut Display, d: Drawable, data: *mut c_char, info: *mut XShmSegmentInfo, w: c_uint, h: c_uint, depth: c_uint) -> Pixmap;
}

#[link(name = "Xdamage")]
extern "C" {
    pub fn XDamageQueryExtension(dpy: *mut Display, event_base: *mut c_int, error_base: *mut c_int) -> Bool;
    pub fn XDamageCreate(dpy: *mut Display, d: Drawable, level: c_int) -> Damage;
    pub fn XDamageDestroy(dpy: *mut Display, damage: Damage);
    pub fn XDamageSubtract(dpy: *mut Display, damage: Damage, repair: XserverRegion, parts: XserverRegion);
}

#[link(name = "Xfixes")]
extern "C" {
    pub fn XFixesQueryExtension(dpy: *mut Display, event_base: *mut c_int, error_base: *mut c_int) -> Bool;
    pub fn XFixesQueryVersion(dpy: *mut Display, major: *mut c_int, minor: *mut c_int) -> Status;
    pub fn XFixesCreateRegion(dpy: *mut Display, rects: *const XRectangle, n: c_int) -> XserverRegion;
    pub fn XFixesDestroyRegion(dpy: *mut Display, region: XserverRegion);
    pub fn XFixesFetchRegion(dpy: *mut Display, region: XserverRegion, n: *mut c_int) -> *mut XRectangle;
    pub fn XFixesGetCursorImage(dpy: *mut Display) -> *mut XFixesCursorImage;
    pub fn XFixesSelectCursorInput(dpy: *mut Display, w: Window, mask: c_ulong);
    pub fn XFixesSelectSelectionInput(dpy: *mut Display, w: Window, selection: Atom, mask: c_ulong);
}

#[link(name = "Xtst")]
extern "C" {
    pub fn XTestQueryExtension(dpy: *mut Display, event_base: *mut c_int, error_base: *mut c_int, major: *mut c_int, minor: *mut c_int) -> Bool;
    pub fn XTestFakeMotionEvent(dpy: *mut Display, screen: c_int, x: c_int, y: c_int, delay: c_ulong) -> c_int;
    pub fn XTestFakeButtonEvent(dpy: *mut Display, button: c_uint, is_press: Bool, delay: c_ulong) -> c_int;
    pub fn XTestFakeKeyEvent(dpy: *mut Display, keycode: c_uint, is_press: Bool, delay: c_ulong) -> c_int;
}

#[link(name = "Xrandr")]
extern "C" {
    pub fn XRRQueryExtension(dpy: *mut Display, event_base: *mut c_int, error_base: *mut c_int) -> Bool;
    pub fn XRRGetMonitors(dpy: *mut Display, w: Window, active: Bool, n: *mut c_int) -> *mut XRRMonitorInfo;
    pub fn XRRFreeMonitors(monitors: *mut XRRMonitorInfo);
}

extern "C" {
    pub fn shmget(key: c_int, size: usize, flags: c_int) -> c_int;
    pub fn shmat(id: c_int, addr: *const c_void, flags: c_int) -> *mut c_void;
    pub fn shmdt(addr: *const c_void) -> c_int;
    pub fn shmctl(id: c_int, cmd: c_int, buf: *mut c_void) -> c_int;
}
