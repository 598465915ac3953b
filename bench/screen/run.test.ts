import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { run } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'bench-screen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// One run (a gateway process per run is the slow part); both repair ways through real sockets: gateway/test/e2e/screen-repair.test.ts.
it('fans a recording out to two viewers through a real gateway, repairs the slowed one, and ends pixel-exact', async () => {
  const json = join(dir, 's.json');
  await run(['--frames', 'native/testdata/desk-drag-clip.mkv', '--viewers', '2', '--repair', 'agent', '--duration', '2', '--pauses', '1', '--cost-frames', '3', '--budget-bytes', String(16 << 10), '--quiet', '--json', json]);
  const r = JSON.parse(readFileSync(json, 'utf8'));
  const runs = r.figures.runs as { repair: string; delivered: number; dropped: number; exact: boolean; chainViolations: number; repairs: Record<string, number>; pausesWithoutDrop: number; cpuUsPerDeliveredFrame: number }[];
  expect(runs.map((x) => x.repair)).toEqual(['agent']);
  for (const x of runs) {
    expect(x.delivered).toBeGreaterThan(0);
    expect(x.cpuUsPerDeliveredFrame).toBeGreaterThan(0);
    expect(x.exact, `${x.repair}: checked viewers end with the customer's last frame`).toBe(true);
    expect(x.chainViolations).toBe(0);
    // Without root the run stays on the host loopback, where a 3 s pause may drop nothing (slow-network.ts).
    if (x.pausesWithoutDrop === 0) {
      expect(x.dropped).toBeGreaterThan(0);
      expect(x.repairs[x.repair === 'agent' ? 'agent_keyframe' : 'merged_delta']).toBeGreaterThan(0);
    }
  }
  expect(r.figures.costs.agentKeyframe.bytes).toBeGreaterThan(0);
}, 90_000);

it('refuses an unknown repair strategy with the reason', async () => {
  await expect(run(['--repair', 'magic', '--quiet'])).rejects.toThrow(/--repair magic: one of agent, gateway, auto/);
});
