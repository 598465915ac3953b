/** A BGRA frame as a canvas holds it: RGBA, alpha 255 (what Decoder.updateRgba writes and the console shows). */
export function opaqueRgba(bgra: Uint8Array): Buffer {
  const rgba = Buffer.allocUnsafe(bgra.length);
  for (let i = 0; i < bgra.length; i += 4) {
    rgba[i] = bgra[i + 2]!;
    rgba[i + 1] = bgra[i + 1]!;
    rgba[i + 2] = bgra[i]!;
    rgba[i + 3] = 255;
  }
  return rgba;
}
