import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU times (USER_HZ): 100 on Linux everywhere in practice. */
const TICKS_PER_SECOND = 100;

interface ProcStat {
  pid: number;
  ppid: number;
  cpuSeconds: number;
}

function readStat(pid: string): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: the fields after its closing one are fixed.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return {
      pid: Number(pid),
      ppid: Number(fields[1]),
      cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND,
    };
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds used so far by this Node process and, separately, by every process it started (DynamoDB Local's JVM
 * and its guard): what the local stack costs the machine, whatever the wall clock does.
 */
export function cpuSeconds(): { node: number; children: number } {
  const own = process.cpuUsage();
  const stats = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(readStat)
    .filter((s): s is ProcStat => s !== undefined);
  const byParent = new Map<number, ProcStat[]>();
  for (const s of stats) byParent.set(s.ppid, [...(byParent.get(s.ppid) ?? []), s]);
  let children = 0;
  const pending = [...(byParent.get(process.pid) ?? [])];
  while (pending.length > 0) {
    const next = pending.pop()!;
    children += next.cpuSeconds;
    pending.push(...(byParent.get(next.pid) ?? []));
  }
  return { node: (own.user + own.system) / 1e6, children };
}

/** CPU used between two readings, as a share of one core over `seconds` of wall clock. */
export function coreShare(before: ReturnType<typeof cpuSeconds>, after: ReturnType<typeof cpuSeconds>, seconds: number) {
  return { node: (after.node - before.node) / seconds, children: (after.children - before.children) / seconds };
}
