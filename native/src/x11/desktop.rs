//! One shared desktop: what is shared (the whole screen, one monitor or one window), its pixels as the damage
//! reports them, the pointer, and the technician's input, all over one X connection driven from the JS thread.
//!
//! Pacing is the caller's: `poll` (cheap, no round trip unless something happened) tells it what changed and
//! `grab` copies only that into its frame. Damage that arrives while the caller holds frames back (the network
//! is slow) accumulates here, merged, so the next frame is simply the newest picture: no queue of stale ones.
use super::capture::{fill, Grabber};
use super::clipboard::Clipboard;
use super::cursor::{CursorShape, CursorTracker};
use super::damage::DamageTracker;
use super::display::XDisplay;
use super::error::{fail, Result, X11ErrorCode};
use super::ffi::*;
use super::frame::{self, SharedMemory, ShmFrame};
use super::input::Input;
use super::monitors::{monitors, Monitor};
use super::region::{coalesce, hidden_parts, Area};
use super::window::{self, Placement, WindowInfo};
use std::sync::Arc;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Target {
    Screen,
    Monitor(usize),
    Window(Window),
}

/// What `poll` saw since the last call.
#[derive(Default, Debug)]
pub struct Changes {
    /// Pixels of the shared area changed (damage).
    pub damaged: bool,
    /// The shared area moved, resized, or what covers it changed: the next grab captures all of it.
    pub moved: bool,
    /// The shared window is gone (closed or unmapped).
    pub gone: bool,
    /// The pointer's shape changed.
    pub cursor: bool,
    /// Text the customer copied.
    pub clipboard: Option<String>,
}

/// More damage rectangles than this are merged into their bounding box (see region::coalesce).
const MAX_PENDING_RECTS: usize = 64;
/// Events handled per poll at most, so a flood cannot stall the JS thread.
const MAX_EVENTS_PER_POLL: usize = 4096;

pub struct Desktop {
    pub d: XDisplay,
    target: Target,
    /// The shared area in root coordinates.
    pub area: Area,
    /// Parts of the area that must not be sent (covered, off screen), relative to the area.
    hidden: Vec<Area>,
    placement: Option<Placement>,
    pending: Vec<Area>,
    full_needed: bool,
    structure_dirty: bool,
    gone: bool,
    grabber: Grabber,
    /// The frame in shared memory that the server copies into (None without shared pixmaps, or before the
    /// first `frame_memory`); sized for the shared area.
    shm_frame: Option<ShmFrame>,
    shm_pixmaps: bool,
    damage: DamageTracker,
    cursor: CursorTracker,
    input: Input,
    clipboard: Clipboard,
    /// Calls JS when the X connection has something to read (`watch`); stopped before the connection closes.
    wakeup: Option<crate::fd_watch::FdWatch>,
}

impl Desktop {
    pub fn open(name: Option<&str>) -> Result<Self> {
        let d = XDisplay::open(name)?;
        let (w, h) = d.size();
        let damage = DamageTracker::new(&d);
        let cursor = CursorTracker::new(&d);
        let clipboard = Clipboard::new(&d);
        window::watch(&d, None);
        d.flush();
        let shm_pixmaps = frame::supported(&d);
        Ok(Desktop {
            shm_frame: None,
            shm_pixmaps,
            target: Target::Screen,
            area: Area::new(0, 0, w, h),
            hidden: Vec::new(),
            placement: None,
            pending: Vec::new(),
            full_needed: true,
            structure_dirty: false,
            gone: false,
            grabber: Grabber::new(),
            damage,
            cursor,
            input: Input::new(),
            clipboard,
            wakeup: None,
            d,
        })
    }

    fn screen(&self) -> Area {
        let (w, h) = self.d.size();
        Area::new(0, 0, w, h)
    }

    pub fn monitors(&self) -> Result<Vec<Monitor>> {
        self.d.alive()?;
        Ok(monitors(&self.d))
    }

    pub fn windows(&self) -> Result<Vec<WindowInfo>> {
        self.d.alive()?;
        Ok(window::list(&self.d))
    }

    /// Chooses what to share. E_X11_MONITOR / E_X11_WINDOW when it does not exist.
    pub fn share(&mut self, target: Target) -> Result<Area> {
        self.d.alive()?;
        match target {
            Target::Screen => {
                self.area = self.screen();
                self.hidden.clear();
                self.placement = None;
            }
            Target::Monitor(i) => {
                let list = monitors(&self.d);
                let Some(m) = list.get(i) else {
                    return fail(X11ErrorCode::Monitor, format!("no monitor {i}: this display has {} (0..{})", list.len(), list.len()));
                };
                self.area = m.area;
                self.hidden = hidden_parts(&m.area, &self.screen(), &[]);
                self.placement = None;
            }
            Target::Window(w) => {
                let p = window::placement(&self.d, w)?;
                window::watch(&self.d, Some(w));
                self.area = p.area;
                self.hidden = hidden_parts(&p.area, &self.screen(), &p.above);
                self.placement = Some(p);
            }
        }
        self.target = target;
        self.gone = false;
        self.full_needed = true;
        self.pending.clear();
        Ok(self.area)
    }

    pub fn poll(&mut self) -> Result<Changes> {
        self.d.alive()?;
        let mut changes = Changes::default();
        let mut ev = XEvent::zeroed();
        let mut handled = 0;
        unsafe {
            while handled < MAX_EVENTS_PER_POLL && XPending(self.d.dpy) > 0 {
                XNextEvent(self.d.dpy, &mut ev);
                handled += 1;
                if self.damage.is_damage_event(&self.d, &ev) {
                    self.damage.notified = true;
                } else if self.cursor.is_cursor_event(&self.d, &ev) {
                    self.cursor.changed = true;
                } else if window::is_structure_event(&ev) {
                    self.structure_dirty = true;
                } else if ev.kind() == MAPPING_NOTIFY {
                    self.input.mapping_changed();
                } else {
                    self.clipboard.handle(&self.d, &mut ev);
                }
            }
        }
        self.d.alive()?;
        if self.structure_dirty {
            self.structure_dirty = false;
            if let Target::Window(w) = self.target {
                match window::placement(&self.d, w) {
                    Ok(p) => {
                        if self.placement.as_ref() != Some(&p) {
                            self.area = p.area;
                            self.hidden = hidden_parts(&p.area, &self.screen(), &p.above);
                            self.placement = Some(p);
                            self.full_needed = true;
                        }
                    }
                    Err(_) => self.gone = true,
                }
            }
        }
        // The damage itself is fetched by `grab`, not here: fetching clears it at the server, which then
        // announces the next change with another event, so a stream holding frames back (the frame interval,
        // a slow network) was woken for every change in between (measured on Chromium scrolled at 1080p:
        // 3.3 wake-ups, each with a round trip to X, per frame sent). Left at the server, it merges there.
        changes.damaged = self.damage.notified || !self.pending.is_empty();
        changes.moved = self.full_needed;
        changes.gone = self.gone;
        changes.cursor = self.cursor.changed;
        changes.clipboard = self.clipboard.incoming.take();
        Ok(changes)
    }

    /// Moves the damage the server holds into `pending` (one round trip, only after it announced some).
    fn take_damage(&mut self) {
        let mut fresh = Vec::new();
        self.damage.take(&self.d, &mut fresh);
        let area = self.area;
        self.pending.extend(fresh.iter().filter_map(|r| r.intersect(&area)));
        coalesce(&mut self.pending, MAX_PENDING_RECTS);
    }

    /// Memory for the shared area's frame that `grab` fills without a copy (the server writes into it), or
    /// None where the server cannot (then any buffer of the right size does, through a copy).
    pub fn frame_memory(&mut self) -> Result<Option<Arc<SharedMemory>>> {
        self.d.alive()?;
        if !self.shm_pixmaps {
            return Ok(None);
        }
        let size = (self.area.w, self.area.h);
        if self.shm_frame.as_ref().map(|f| f.area) != Some(size) {
            if let Some(mut old) = self.shm_frame.take() {
                old.release(&self.d);
            }
            match ShmFrame::new(&self.d, size.0, size.1) {
                Ok(f) => self.shm_frame = Some(f),
                Err(_) => {
                    // A server that announces shared pixmaps but refuses ours: the copying path works everywhere.
                    self.shm_pixmaps = false;
                    return Ok(None);
                }
            }
        }
        Ok(self.shm_frame.as_ref().map(|f| f.memory.clone()))
    }

    /// Copies what changed (everything when `full`, after a move, or on the first call) into `frame`, the
    /// caller's BGRA picture of the shared area, and masks what must not be seen. Returns the rectangles it
    /// wrote, relative to the shared area (none: nothing changed); outside them `frame` is untouched.
    /// When `frame` is the memory `frame_memory` gave, the server writes into it directly and the fourth
    /// byte of each pixel is X's padding; otherwise pixels are copied in with alpha set to 0xFF.
    pub fn grab(&mut self, frame: &mut [u8], full: bool) -> Result<Vec<Area>> {
        self.d.alive()?;
        let (w, h) = (self.area.w, self.area.h);
        if frame.len() != (w as usize) * (h as usize) * 4 {
            return fail(X11ErrorCode::Argument, format!("frame is {} bytes, the shared area is {w}x{h} ({} bytes)", frame.len(), w as usize * h as usize * 4));
        }
        if self.gone {
            return fail(X11ErrorCode::Window, "the shared window is gone");
        }
        self.take_damage();
        let rects: Vec<Area> = if full || self.full_needed {
            self.pending.clear();
            self.full_needed = false;
            vec![self.area]
        } else {
            std::mem::take(&mut self.pending)
        };
        let screen = self.screen();
        let stride = w as usize * 4;
        let direct = self.shm_frame.as_ref().filter(|f| f.memory.ptr() == frame.as_mut_ptr() && f.memory.len() == frame.len());
        if let Some(sf) = direct {
            for r in &rects {
                if let Some(v) = r.intersect(&screen) {
                    let rel = v.relative_to(&self.area);
                    sf.copy(&self.d, v, rel.x, rel.y);
                }
            }
            sf.finish(&self.d)?;
        } else {
            for r in &rects {
                if let Some(v) = r.intersect(&screen) {
                    let rel = v.relative_to(&self.area);
                    self.grabber.grab(&self.d, v, frame, stride, rel.x as usize, rel.y as usize)?;
                }
            }
        }
        let mut written = Vec::with_capacity(rects.len());
        for r in &rects {
            let rel = r.relative_to(&self.area);
            for hidden in &self.hidden {
                if let Some(m) = hidden.intersect(&rel) {
                    fill(frame, stride, w, h, m);
                }
            }
            written.push(rel);
        }
        Ok(written)
    }

    /// Pointer position relative to the shared area, and whether it is over a visible part of it.
    pub fn pointer(&self) -> Result<(i32, i32, bool)> {
        self.d.alive()?;
        let Some((x, y)) = self.cursor.position(&self.d) else { return Ok((0, 0, false)) };
        let (rx, ry) = (x - self.area.x, y - self.area.y);
        let inside = self.area.contains(x, y) && !self.hidden.iter().any(|h| h.contains(rx, ry));
        Ok((rx, ry, inside))
    }

    pub fn cursor_shape(&mut self) -> Result<Option<CursorShape>> {
        self.d.alive()?;
        Ok(self.cursor.shape(&self.d))
    }

    /// Moves the pointer to (x, y) of the shared area. Refused outside it and over parts of a shared window
    /// that another window covers (a click there would land in a window the customer did not share).
    pub fn motion(&mut self, x: i32, y: i32) -> Result<()> {
        self.d.alive()?;
        let (w, h) = (self.area.w, self.area.h);
        if x < 0 || y < 0 || x >= w || y >= h {
            return fail(X11ErrorCode::Coordinates, format!("pointer position {x},{y} is outside the shared area (0..{w}, 0..{h})"));
        }
        let (ax, ay) = (self.area.x + x, self.area.y + y);
        if !self.screen().contains(ax, ay) || self.hidden.iter().any(|r| r.contains(x, y)) {
            return fail(X11ErrorCode::Coordinates, format!("pointer position {x},{y} is on a part of the shared area that is not visible"));
        }
        self.input.motion(&self.d, ax, ay);
        self.d.flush();
        Ok(())
    }

    pub fn button(&mut self, button: u32, down: bool) -> Result<()> {
        self.d.alive()?;
        self.input.button(&self.d, button, down)?;
        self.d.flush();
        Ok(())
    }

    pub fn wheel(&mut self, dx: i32, dy: i32) -> Result<()> {
        self.d.alive()?;
        self.input.wheel(&self.d, dx, dy)?;
        self.d.flush();
        Ok(())
    }

    /// In a one-window share the key goes to that window, which is given the focus first if it lacks it.
    pub fn key(&mut self, keysym: u64, down: bool) -> Result<()> {
        self.d.alive()?;
        if let Target::Window(w) = self.target {
            super::focus::keep_on(&self.d, w)?;
        }
        self.input.key(&self.d, keysym as KeySym, down)?;
        // Input must reach the server now: the agent no longer polls X on a timer (which used to flush Xlib's
        // output buffer as a side effect), it waits for X's events, so a request left buffered would wait too.
        self.d.flush();
        Ok(())
    }

    /// Nothing can be held on a display that is gone, so then this is a no-op rather than an error.
    pub fn release_all(&mut self) -> Result<()> {
        if self.d.alive().is_ok() {
            self.input.release_all(&self.d);
            self.d.flush();
        }
        Ok(())
    }

    pub fn set_clipboard(&mut self, text: &str) -> Result<()> {
        self.d.alive()?;
        if text.len() > super::clipboard::MAX_CLIPBOARD_BYTES {
            return fail(X11ErrorCode::Argument, format!("clipboard text is limited to {} bytes", super::clipboard::MAX_CLIPBOARD_BYTES));
        }
        self.clipboard.set(&self.d, text);
        Ok(())
    }
}

impl Desktop {
    /// Calls `callback` whenever the X connection becomes readable (events to `poll`), until `unwatch`.
    ///
    /// # Safety
    /// `env` must be the current Node-API environment and `callback` a function.
    pub unsafe fn watch(&mut self, env: crate::napi::napi_env, callback: crate::napi::napi_value) -> Result<()> {
        self.d.alive()?;
        self.unwatch();
        let w = crate::fd_watch::FdWatch::start(env, XConnectionNumber(self.d.dpy), callback).or_else(|e| fail(X11ErrorCode::Request, format!("cannot watch the X connection: {e}")))?;
        self.wakeup = Some(w);
        Ok(())
    }

    pub fn unwatch(&mut self) {
        if let Some(w) = self.wakeup.take() {
            w.stop();
        }
    }

    /// Events Xlib has already read off the socket (during a round trip) and not yet handed to `poll`: the
    /// connection will not turn readable for them, so whoever waits on it must poll again first.
    pub fn queued(&self) -> Result<bool> {
        self.d.alive()?;
        const QUEUED_ALREADY: i32 = 0;
        Ok(unsafe { XEventsQueued(self.d.dpy, QUEUED_ALREADY) } > 0)
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        self.unwatch();
        self.input.close(&self.d);
        self.clipboard.close(&self.d);
        self.damage.close(&self.d);
        self.grabber.close(&self.d);
        if let Some(mut f) = self.shm_frame.take() {
            f.release(&self.d);
        }
        if self.d.alive().is_ok() {
            self.d.flush();
        }
    }
}
