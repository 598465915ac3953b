//! Reading pixels from the X server: MIT-SHM (`XShmGetImage`) into one shared segment reused for every
//! rectangle, so a damaged 200x20 strip costs one request and a 16 KB copy, not a whole screen. Without
//! MIT-SHM (a server on another host) it falls back to `XGetImage` over the socket.
use super::display::XDisplay;
use super::error::{fail, Result, X11ErrorCode};
use super::ffi::*;
use super::frame::SharedMemory;
use super::region::Area;
use std::os::raw::c_uint;
use std::ptr::null_mut;

pub struct Grabber {
    /// The segment and the server's attachment of it (None until the first MIT-SHM grab).
    segment: Option<(SharedMemory, XShmSegmentInfo)>,
    image: *mut XImage,
    /// Bytes in the segment.
    capacity: usize,
}

impl Grabber {
    pub fn new() -> Self {
        Grabber { segment: None, image: null_mut(), capacity: 0 }
    }

    /// Makes the segment hold at least `bytes` (one segment of the whole shared area, made once per size).
    unsafe fn reserve(&mut self, d: &XDisplay, w: i32, h: i32) -> Result<()> {
        let bytes = (w as usize) * (h as usize) * 4;
        if bytes <= self.capacity && !self.image.is_null() {
            return Ok(());
        }
        self.release(d);
        let (memory, mut info) = SharedMemory::attached(d, bytes)?;
        let image = XShmCreateImage(d.dpy, d.visual, d.depth as c_uint, ZPIXMAP, null_mut(), &mut info, w as c_uint, h as c_uint);
        if image.is_null() {
            XShmDetach(d.dpy, &mut info);
            return fail(X11ErrorCode::Request, "XShmCreateImage failed");
        }
        (*image).data = info.shmaddr;
        self.segment = Some((memory, info));
        self.image = image;
        self.capacity = bytes;
        Ok(())
    }

    unsafe fn release(&mut self, d: &XDisplay) {
        if self.image.is_null() {
            return;
        }
        if let Some((_, info)) = self.segment.as_mut() {
            if d.alive().is_ok() {
                XShmDetach(d.dpy, info);
            }
        }
        // XDestroyImage would free() `data`, which is the shm segment: detach it from the image first.
        (*self.image).data = null_mut();
        if let Some(destroy) = (*self.image).f.destroy_image {
            destroy(self.image);
        }
        self.segment = None; // unmaps it
        self.image = null_mut();
        self.capacity = 0;
    }

    /// Copies the root-window rectangle `r` into `frame` (BGRA, `stride` bytes per row) at `(dx, dy)`, with
    /// alpha forced to opaque (X leaves the padding byte undefined). `r` must lie on the screen.
    pub fn grab(&mut self, d: &XDisplay, r: Area, frame: &mut [u8], stride: usize, dx: usize, dy: usize) -> Result<()> {
        unsafe {
            if d.shm {
                self.reserve(d, r.w, r.h)?;
                let img = &mut *self.image;
                // One segment serves any rectangle up to its size: the server writes w*h pixels at its start.
                img.width = r.w;
                img.height = r.h;
                img.bytes_per_line = r.w * 4;
                if XShmGetImage(d.dpy, d.root, img, r.x, r.y, ALL_PLANES) == FALSE {
                    d.sync_error();
                    return fail(X11ErrorCode::Request, format!("XShmGetImage of {}x{} at {},{} failed", r.w, r.h, r.x, r.y));
                }
                copy_rows(img.data as *const u8, r.w as usize * 4, r, frame, stride, dx, dy);
                Ok(())
            } else {
                let img = XGetImage(d.dpy, d.root, r.x, r.y, r.w as c_uint, r.h as c_uint, ALL_PLANES, ZPIXMAP);
                if img.is_null() {
                    d.sync_error();
                    return fail(X11ErrorCode::Request, format!("XGetImage of {}x{} at {},{} failed", r.w, r.h, r.x, r.y));
                }
                copy_rows((*img).data as *const u8, (*img).bytes_per_line as usize, r, frame, stride, dx, dy);
                if let Some(destroy) = (*img).f.destroy_image {
                    destroy(img);
                }
                Ok(())
            }
        }
    }

    pub fn close(&mut self, d: &XDisplay) {
        unsafe { self.release(d) };
    }
}

unsafe fn copy_rows(src: *const u8, src_stride: usize, r: Area, frame: &mut [u8], stride: usize, dx: usize, dy: usize) {
    let row = r.w as usize * 4;
    for y in 0..r.h as usize {
        let s = std::slice::from_raw_parts(src.add(y * src_stride), row);
        let o = (dy + y) * stride + dx * 4;
        // One pass that copies and sets alpha (LLVM vectorises this; a copy then a second pass cost twice).
        for (d, p) in frame[o..o + row].chunks_exact_mut(4).zip(s.chunks_exact(4)) {
            let v = u32::from_le_bytes([p[0], p[1], p[2], p[3]]) | 0xff00_0000;
            d.copy_from_slice(&v.to_le_bytes());
        }
    }
}

/// Fills `r` (relative to the frame) with the mask colour: what a covered part of a shared window shows.
pub fn fill(frame: &mut [u8], stride: usize, fw: i32, fh: i32, r: Area) {
    let Some(r) = r.intersect(&Area::new(0, 0, fw, fh)) else { return };
    const MASK: [u8; 4] = [0x40, 0x30, 0x30, 0xff]; // dark slate, BGRA
    for y in r.y..r.y + r.h {
        let o = y as usize * stride + r.x as usize * 4;
        for px in frame[o..o + r.w as usize * 4].chunks_exact_mut(4) {
            px.copy_from_slice(&MASK);
        }
    }
}

