import { describe, expect, it } from 'vitest';
import { displayTextProblem } from '../../../protocol/display-text.js';
import { parseClientMessage } from '../../../protocol/messages.js';
import { displayNameProblem } from './account-names.js';

const join = (name: string) => JSON.stringify({ v: 1, type: 'join', pin: '12345678901234', name });

describe('display-safe names', () => {
  it.each([
    ['an ANSI escape', 'Carol\u001b[2J'],
    ['a newline', 'Carol\nlevel=error'],
    ['a C1 control', 'Carol\u009b31m'],
    ['a right-to-left override', 'Carol\u202Egnp.exe'],
    ['a bidi isolate', 'Carol\u2066x'],
  ])('a customer name with %s is refused with E_BAD_MESSAGE', (_what, name) => {
    expect(() => parseClientMessage(join(name))).toThrow(expect.objectContaining({ code: 'E_BAD_MESSAGE', message: expect.stringContaining('control characters') }));
    expect(displayTextProblem(name)).toMatch(/U\+[0-9A-F]{4}/);
  });

  it('keeps everything else, HTML included: the display escapes it', () => {
    for (const name of ['Zoë O\'Brien', '王小明', '<b>Carol</b>', 'محمد', 'Ana 🙂']) {
      expect(parseClientMessage(join(name))).toMatchObject({ type: 'join', name });
    }
  });

  it('applies the same rule to technician display names', () => {
    expect(displayNameProblem('Alice\u202E')).not.toBeNull();
    expect(displayNameProblem('Alice\u001b')).not.toBeNull();
    expect(displayNameProblem('Alice Doe')).toBeNull();
  });
});
