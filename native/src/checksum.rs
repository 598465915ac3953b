//! 32-bit packet checksum. Not cryptographic: it exists so a corrupted packet is reported as
//! E_CODEC_CORRUPT instead of silently painting garbage. Word-at-a-time so it costs far less than
//! the entropy decoder; the TypeScript decoder (clients/codec/checksum.ts) mirrors it bit for bit.

pub fn checksum(data: &[u8]) -> u32 {
    let mut h: u32 = 0x811C_9DC5 ^ (data.len() as u32);
    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        let w = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        h = (h ^ w).wrapping_mul(0x0100_0193).rotate_left(13);
    }
    for &b in chunks.remainder() {
        h = (h ^ b as u32).wrapping_mul(0x0100_0193);
    }
    h ^= h >> 15;
    h = h.wrapping_mul(0x2C1B_3C6D);
    h ^= h >> 12;
    h
}
