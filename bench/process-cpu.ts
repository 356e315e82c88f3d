import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU times (USER_HZ): 100 on Linux everywhere in practice. */
const TICKS_PER_SECOND = 100;

interface ProcStat {
  pid: number;
  ppid: number;
  command: string;
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
      command: text.slice(text.indexOf('(') + 1, text.lastIndexOf(')')),
      cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND,
    };
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds used so far by this Node process and, separately, by every process it started (DynamoDB Local's JVM
 * and its guard, cognito-local's Node): what the local stack costs the machine, whatever the wall clock does. `jvm` is
 * the Java processes among the children (DynamoDB Local), part of `children`.
 */
export function cpuSeconds(): { node: number; children: number; jvm: number } {
  const own = process.cpuUsage();
  const stats = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(readStat)
    .filter((s): s is ProcStat => s !== undefined);
  const byParent = new Map<number, ProcStat[]>();
  for (const s of stats) byParent.set(s.ppid, [...(byParent.get(s.ppid) ?? []), s]);
  let children = 0;
  let jvm = 0;
  const pending = [...(byParent.get(process.pid) ?? [])];
  while (pending.length > 0) {
    const next = pending.pop()!;
    children += next.cpuSeconds;
    if (next.command === 'java') jvm += next.cpuSeconds;
    pending.push(...(byParent.get(next.pid) ?? []));
  }
  return { node: (own.user + own.system) / 1e6, children, jvm };
}

/** CPU used between two readings, as a share of one core over `seconds` of wall clock. */
export function coreShare(before: ReturnType<typeof cpuSeconds>, after: ReturnType<typeof cpuSeconds>, seconds: number) {
  return {
    node: (after.node - before.node) / seconds,
    children: (after.children - before.children) / seconds,
    jvm: (after.jvm - before.jvm) / seconds,
  };
}
