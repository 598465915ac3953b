import { encodeScreenFrame } from '../../../protocol/screen-header.js';
import { loadNativeCodec } from '../../src/screen/native-codec.js';

/**
 * Valid screen frames for e2e tests (the gateway's screen module refuses anything else): keyframe number
 * `frame` of a width×height picture of noise, which the codec cannot shrink (so its size is about w·h·4).
 */
export function noiseKeyframe(frame: number, width = 64, height = 64, seed = 1): Uint8Array {
  const pixels = new Uint8Array(width * height * 4);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < pixels.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    pixels[i] = x & 0xff;
  }
  const encoder = new (loadNativeCodec().Encoder)(width, height);
  return encodeScreenFrame({ keyframe: true, repair: false, frame }, encoder.encode(pixels));
}
