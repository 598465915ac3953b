import { describe, expect, it } from 'vitest';
import { Consent, parsePowers } from './consent.js';

describe('consent', () => {
  it('"allow for this session" answers later requests itself; "ask each time" asks again; refusing grants nothing', () => {
    const c = new Consent();
    const first = c.request('control', 'Tess');
    expect(first).toMatchObject({ granted: false, prompt: { power: 'control', from: 'Tess' } });
    // The same request again while the prompt is open does not stack a second prompt.
    expect(c.request('control', 'Tess')).toEqual(first);
    expect(c.answer((first as { prompt: { id: number } }).prompt.id, 'session')).toBe('control');
    expect(c.has('control')).toBe(true);
    expect(c.request('control', 'Tess')).toEqual({ granted: true });

    const once = c.request('sysinfo', 'Tess') as { prompt: { id: number } };
    expect(c.answer(once.prompt.id, 'once')).toBe('sysinfo');
    // Asked again while the grant still stands: no new prompt.
    expect(c.request('sysinfo', 'Tess')).toEqual({ granted: true });
    expect(c.used('sysinfo')).toBe(true);
    expect(c.has('sysinfo')).toBe(false);
    expect(c.request('sysinfo', 'Tess').granted).toBe(false);

    const refused = c.request('files', 'Tess') as { prompt: { id: number } };
    expect(c.answer(refused.prompt.id, 'refuse')).toBeNull();
    expect(c.has('files')).toBe(false);
    expect(c.answer(refused.prompt.id, 'session')).toBeNull(); // answered already
  });

  it('revoking is immediate and forgets "allow for this session"; clear stops everything', () => {
    const c = new Consent(['view', 'control']);
    expect(c.list()).toEqual(['view', 'control']);
    expect(c.revoke('control')).toBe(true);
    expect(c.has('control')).toBe(false);
    expect(c.request('control', 'Tess').granted).toBe(false);
    expect(c.revoke('control')).toBe(false);
    c.clear();
    expect(c.list()).toEqual([]);
    expect(c.pending()).toEqual([]);
  });

  it('--allow lists are checked', () => {
    expect(parsePowers('view, control,view')).toEqual(['view', 'control']);
    expect(() => parsePowers('view,root')).toThrow(/unknown power "root"/);
  });
});
