import { describe, expect, it } from 'vitest';
import { parseClientMessage } from '../../../protocol/messages.js';
import { exactCreditBytes } from './credit-fast-path.js';

const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

describe('exactCreditBytes', () => {
  it('reads the SDK’s own credit message, with the value the full parser gives', () => {
    for (const n of [0, 1, 9, 10, 32768, 262144, Number.MAX_SAFE_INTEGER]) {
      const text = JSON.stringify({ v: 1, type: 'credit', bytes: n });
      expect(exactCreditBytes(bytes(text))).toBe(n);
      expect(parseClientMessage(text)).toEqual({ v: 1, type: 'credit', bytes: n });
    }
  });

  it('leaves every other form to the full parser (which accepts or refuses it as before)', () => {
    const others = [
      '{"v":1,"type":"credit","bytes":01}', // not JSON
      '{"v":1,"type":"credit","bytes":-1}',
      '{"v":1,"type":"credit","bytes":1.5}',
      '{"v":1,"type":"credit","bytes":1e3}',
      '{"v":1,"type":"credit","bytes":9007199254740992}', // past MAX_SAFE_INTEGER
      '{"v":1,"type":"credit","bytes":99999999999999999}',
      '{"v":1,"type":"credit","bytes":}',
      '{"v":1,"type":"credit","bytes":12 }',
      '{"v":1,"type":"credit","bytes":12,"x":1}',
      '{"type":"credit","v":1,"bytes":12}',
      '{"v":2,"type":"credit","bytes":12}',
      '{"v":1,"type":"credits","bytes":12}',
      '{"v":1,"type":"credit","bytes":12',
    ];
    for (const text of others) expect(exactCreditBytes(bytes(text)), text).toBe(-1);
    // Forms the full parser accepts still reach it and mean the same.
    expect(parseClientMessage('{"type":"credit","v":1,"bytes":12}')).toEqual({ v: 1, type: 'credit', bytes: 12 });
    expect(() => parseClientMessage('{"v":1,"type":"credit","bytes":-1}')).toThrow();
  });
});
