import { createRequire } from 'node:module';
import type { RtcPeerConnectionConstructor } from './udp-path.js';

/** Node's RTCPeerConnection: libwebrtc through @roamhq/wrtc (its linux-x64 binary ships in the npm package). */
export function nodeRtc(): RtcPeerConnectionConstructor {
  return (createRequire(import.meta.url)('@roamhq/wrtc') as { RTCPeerConnection: RtcPeerConnectionConstructor }).RTCPeerConnection;
}
